import { sumCapacity, sumRequests } from "@fanout/local-stack";
import { describe, expect, it } from "vitest";
import { completionCurve, usageOf } from "./scale-e2e.ts";

describe("completionCurve", () => {
  it("counts completions over time from unsorted times (ms), ending at the total", () => {
    expect(completionCurve([3000, 1000, 2000, 4000], 4)).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
  });

  it("keeps at most about `points` steps and always the last completion", () => {
    const times = Array.from({ length: 1001 }, (_, i) => i * 10);
    const curve = completionCurve(times, 100);
    expect(curve.length).toBeLessThanOrEqual(102);
    expect(curve.at(-1)).toEqual([10, 1001]);
  });

  it("is empty without completions", () => {
    expect(completionCurve([])).toEqual([]);
  });
});

describe("usageOf", () => {
  it("keeps a worker line's capacity units beside its requests, so the AWS model prices the worker's writes", () => {
    const worker = {
      message: "worker received name = a",
      requests: { "DynamoDB.UpdateItem": 3 },
      capacity: { "task.write": 2, "shard.write": 1 },
    };
    const lines = [usageOf(worker), usageOf({ message: "no usage" })].filter((l) => l !== undefined);
    expect(sumRequests(lines)).toEqual({ "DynamoDB.UpdateItem": 3 });
    expect(sumCapacity(lines)).toEqual({ "task.write": 2, "shard.write": 1 });
  });
});
