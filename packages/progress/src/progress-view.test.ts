import { describe, expect, it } from "vitest";
import { type ProgressLayout, progressView } from "./progress-view.ts";

interface Counts {
  done: number;
  total: number;
}

const layout = (extra: Partial<ProgressLayout<Counts>> = {}): ProgressLayout<Counts> => ({
  total: (c) => c.total,
  done: (c) => c.done,
  barFormat: "{bar}",
  tokens: () => ({}),
  line: (c) => `${c.done}/${c.total}`,
  ...extra,
});

function recorder(isTTY = false) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe("progressView off a terminal", () => {
  it("writes a plain line each time the line changes, and never the same line twice", () => {
    const stream = recorder();
    const view = progressView(stream, layout());
    for (const done of [0, 0, 1, 1, 2]) view.update({ done, total: 2 });
    view.stop();
    expect(stream.written).toEqual(["0/2\n", "1/2\n", "2/2\n"]);
  });

  it("holds lines back to one per everyMs, but always writes the one that shows everything done", () => {
    const stream = recorder();
    const view = progressView(stream, layout({ everyMs: 3_600_000 }));
    for (let done = 0; done <= 50; done += 1) view.update({ done, total: 50 });
    expect(stream.written).toEqual(["0/50\n", "50/50\n"]);
  });

  it("puts an ISO time before each line when asked", () => {
    const stream = recorder();
    progressView(stream, layout({ timestamps: true })).update({ done: 1, total: 2 });
    expect(stream.written[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 1\/2\n$/);
  });

  it("writes no escape codes to a stream that is not a terminal", () => {
    const stream = recorder();
    const view = progressView(stream, layout());
    view.update({ done: 1, total: 2 });
    expect(stream.written.join("")).not.toContain("\u001b[");
  });
});
