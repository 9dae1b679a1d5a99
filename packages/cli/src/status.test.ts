import type { JobStatus } from "@fanout/job-state";
import { describe, expect, it } from "vitest";
import { endStateOf, redrivenSince, toleranceText, toReport } from "./status.ts";

const base: JobStatus = {
  jobId: "j-1",
  total: 10,
  succeeded: 0,
  failed: 0,
  retryPending: 0,
  cancelled: 0,
  running: 0,
  pending: 10,
  done: false,
  state: "running",
  options: {},
  createdAt: Date.parse("2026-01-01T00:00:00Z"),
  epoch: 7,
};

describe("status report", () => {
  it("counts cancelled tasks as final in the percentage, and gives times as ISO text", () => {
    const r = toReport({
      ...base,
      succeeded: 2,
      failed: 1,
      cancelled: 5,
      running: 2,
      pending: 2,
      state: "cancelling",
      stopReason: "cancelled by request",
      options: { maxConcurrency: 2 },
      finishedAt: Date.parse("2026-01-01T00:01:00Z"),
      notifiedAt: Date.parse("2026-01-01T00:01:02Z"),
    });
    expect(r).toEqual({
      jobId: "j-1",
      state: "cancelling",
      stopReason: "cancelled by request",
      total: 10,
      succeeded: 2,
      failed: 1,
      retryPending: 0,
      running: 2,
      cancelled: 5,
      pending: 2,
      percent: 80,
      done: false,
      options: { maxConcurrency: 2 },
      createdAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:01:00.000Z",
      notifiedAt: "2026-01-01T00:01:02.000Z",
      epoch: 7,
    });
    expect(toReport(base)).toMatchObject({ stopReason: null, finishedAt: null });
  });

  it("names the tolerated failures, or says any final failure fails the job", () => {
    expect(toleranceText({})).toBe("none (any final failure fails the job)");
    expect(toleranceText({ toleratedFailureCount: 1 })).toBe("1 task");
    expect(toleranceText({ toleratedFailureCount: 3, toleratedFailurePercentage: 5 })).toBe("3 tasks or 5%");
  });
});

describe("the state a watched job ends in", () => {
  const done = { ...base, pending: 0, done: true };
  it("is the recorded final state when the counts agree", () => {
    expect(endStateOf({ ...done, succeeded: 10, state: "succeeded" })).toBe("succeeded");
    expect(endStateOf({ ...done, succeeded: 9, failed: 1, state: "failed" })).toBe("failed");
    expect(
      endStateOf({ ...done, cancelled: 10, state: "cancelled", stopReason: "cancelled by request" }),
    ).toBe("cancelled");
  });

  it("follows the stop marks, and otherwise the failures against the tolerance, before the final state is written", () => {
    expect(endStateOf({ ...done, state: "cancelling" })).toBe("cancelled");
    expect(endStateOf({ ...done, state: "failing", failed: 5 })).toBe("failed");
    expect(endStateOf({ ...done, succeeded: 10 })).toBe("succeeded");
    expect(endStateOf({ ...done, succeeded: 9, failed: 1 })).toBe("failed");
    expect(endStateOf({ ...done, succeeded: 9, failed: 1, options: { toleratedFailureCount: 1 } })).toBe(
      "succeeded",
    );
    expect(
      endStateOf({ ...done, succeeded: 8, failed: 2, options: { toleratedFailurePercentage: 10 } }),
    ).toBe("failed");
  });

  it("is succeeded for a job recorded failed for its failed tasks, once a redrive made them succeed", () => {
    const redriven = { ...done, succeeded: 10, state: "failed" as const };
    expect(endStateOf(redriven)).toBe("succeeded");
    expect(redrivenSince(redriven)).toBe(true);
    // A job stopped by its failure threshold stays failed: its remaining tasks were cancelled.
    const stopped = {
      ...redriven,
      stopReason: "failure threshold exceeded: 2 tasks failed, toleratedFailureCount is 1",
    };
    expect(endStateOf(stopped)).toBe("failed");
    expect(redrivenSince(stopped)).toBe(false);
  });
});
