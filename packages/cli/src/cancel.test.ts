import type { JobInfo } from "@fanout/job-state";
import { describe, expect, it } from "vitest";
import { cancelMessage, toCancelReport } from "./cancel.ts";

const job: JobInfo = {
  jobId: "j-1",
  epoch: 1,
  total: 3,
  createdAt: 1,
  options: {},
  layout: { width: 1, perShard: 128, perGroup: 100 },
};
const at = (iso: string) => Date.parse(iso);

/** The answer `fanout cancel` gives for each outcome of cancelJob. */
const answer = (result: Parameters<typeof toCancelReport>[1]) =>
  cancelMessage(toCancelReport("j-1", result), "t-dedup");

describe("fanout cancel's answers", () => {
  it("cancelled now: says what happens to queued and running tasks, exit 0", () => {
    expect(
      answer({ outcome: "cancelled", job: { ...job, cancelledAt: at("2026-01-01T00:00:00Z") } }),
    ).toEqual({
      ok: true,
      text: "cancelled job j-1: queued tasks will be dropped, running tasks finish (tasks dispatched in the next 5 s may still start)",
    });
  });

  it("a second cancel: says when the first one was, exit 0, also once the job finished as cancelled", () => {
    const cancelled = { ...job, cancelledAt: at("2026-01-01T00:00:00Z"), stopReason: "cancelled by request" };
    expect(answer({ outcome: "already-cancelled", job: cancelled })).toEqual({
      ok: true,
      text: "job j-1 was already cancelled at 2026-01-01T00:00:00.000Z",
    });
    const finished = {
      ...cancelled,
      finishedAt: at("2026-01-01T00:00:05Z"),
      finalState: "cancelled" as const,
    };
    expect(toCancelReport("j-1", { outcome: "finished", job: finished }).outcome).toBe("already-cancelled");
    expect(answer({ outcome: "finished", job: finished })).toEqual({
      ok: true,
      text: "job j-1 was already cancelled at 2026-01-01T00:00:00.000Z (finished 2026-01-01T00:00:05.000Z)",
    });
  });

  it("a job that had finished, succeeded or failed: nothing to cancel, exit 1", () => {
    const finishedAt = at("2026-01-01T00:00:05Z");
    expect(answer({ outcome: "finished", job: { ...job, finishedAt, finalState: "succeeded" } })).toEqual({
      ok: false,
      text: "job j-1 already finished (succeeded) at 2026-01-01T00:00:05.000Z; nothing to cancel",
    });
    const failed = {
      ...job,
      finishedAt,
      cancelledAt: finishedAt - 1,
      failedAt: finishedAt - 1,
      finalState: "failed" as const,
      stopReason: "failure threshold exceeded: 2 tasks failed, toleratedFailureCount is 1",
    };
    expect(answer({ outcome: "finished", job: failed })).toEqual({
      ok: false,
      text: "job j-1 already finished (failed: failure threshold exceeded: 2 tasks failed, toleratedFailureCount is 1) at 2026-01-01T00:00:05.000Z; nothing to cancel",
    });
  });

  it("an unknown job: names the table, exit 1", () => {
    expect(answer({ outcome: "not-found" })).toEqual({
      ok: false,
      text: "job j-1 not found in table t-dedup",
    });
    expect(toCancelReport("j-1", { outcome: "not-found" })).toEqual({
      jobId: "j-1",
      outcome: "not-found",
      state: null,
      cancelledAt: null,
      finishedAt: null,
      stopReason: null,
    });
  });
});
