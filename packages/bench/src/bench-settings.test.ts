import { parseSettings } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import { settingsWith } from "./bench-settings.ts";

describe("settingsWith", () => {
  const base = parseSettings({});

  it("changes only the keys given, deep", () => {
    const s = settingsWith(base, { consumer: { max_parallel: 8 }, max_tasks_per_job: 100_000 });
    expect(s.consumer.max_parallel).toBe(8);
    expect(s.consumer.pollers).toBe(base.consumer.pollers);
    expect(s.max_tasks_per_job).toBe(100_000);
    expect(s.functions).toEqual(base.functions);
  });

  it("refuses an override outside the settings' ranges, naming the key", () => {
    expect(() => settingsWith(base, { consumer: { max_parallel: 101 } })).toThrow(/max_parallel/);
  });
});
