import { jobLimits, limits, PayloadTooLargeError } from "@fanout/core";
import { describe, expect, it } from "vitest";
import { packBatches } from "./batches.ts";

const msg = (id: number, bytes: number) => ({ id: String(id), body: "x".repeat(bytes) });

describe("packBatches", () => {
  it("puts at most 10 entries in a batch", () => {
    const batches = packBatches(Array.from({ length: 25 }, (_, i) => msg(i, 10)));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it("starts a new batch before the bodies would pass 1 MiB", () => {
    const big = jobLimits.maxNameBytes + 300;
    const batches = packBatches(Array.from({ length: 9 }, (_, i) => msg(i, big)));
    for (const batch of batches) {
      expect(batch.reduce((n, m) => n + m.body.length, 0)).toBeLessThanOrEqual(limits.sqsBatchBytes);
    }
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3]);
  });

  it("keeps the order of messages", () => {
    const ids = packBatches(Array.from({ length: 23 }, (_, i) => msg(i, 1)))
      .flat()
      .map((m) => m.id);
    expect(ids).toEqual(Array.from({ length: 23 }, (_, i) => String(i)));
  });

  it("refuses one message over the SQS limit before anything is sent", () => {
    expect(() => packBatches([msg(0, 1), msg(1, limits.sqsMessageBytes + 1)])).toThrow(PayloadTooLargeError);
  });
});
