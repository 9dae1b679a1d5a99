import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { hostileNames } from "./samples.ts";
import { encodeTask, makeTask, parseTask, taskIdOf } from "./task.ts";

describe("task messages", () => {
  it("round-trip every hostile name byte-identical", () => {
    for (const [i, name] of hostileNames().entries()) {
      const task = makeTask("job-1", i, name);
      expect(parseTask(encodeTask(task))).toEqual(task);
    }
  });

  it("escape the noncharacters SQS refuses", () => {
    const body = encodeTask(makeTask("j", 0, "a\uFFFEb\uFFFF"));
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(parseTask(body)).toMatchObject({ v: 1, name: "a\uFFFEb\uFFFF" });
  });

  it("identify a task by job and index, stable across resubmissions", () => {
    expect(taskIdOf({ jobId: "j-1", index: 7 })).toBe("j-1#7");
  });

  it.each([
    ["not json", /not valid JSON/],
    [JSON.stringify({ v: 1, jobId: "j", index: -1, name: "a" }), /index/],
    [JSON.stringify({ v: 2, jobId: "j", index: 0, name: "a" }), /v/],
    [JSON.stringify({ v: 1, jobId: "j", index: 0 }), /name/],
    [JSON.stringify({ name: "seed format" }), /v: Invalid discriminator/],
  ])("reject the malformed body %s", (body, reason) => {
    expect(() => parseTask(body)).toThrow(ValidationError);
    expect(() => parseTask(body)).toThrow(reason);
  });
});
