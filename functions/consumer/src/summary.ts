import type { CapacityCounts, RequestCounts } from "@fanout/core";

/** What one consumer run did; returned as the invocation's result and logged. */
export interface DrainSummary {
  received: number;
  /** Worker invocations accepted by Lambda. */
  dispatched: number;
  /** Messages of tasks already handed on (redelivery, resubmission): deleted without dispatch. */
  duplicates: number;
  /** Messages of tasks another consumer holds a live claim on: left in the queue. */
  busy: number;
  /** Malformed bodies: never dispatched, returned to the queue on the way to the dead-letter queue. */
  invalid: number;
  /** Retryable dispatch failures (throttling, 5xx): claim released, message comes back later. */
  retried: number;
  /** Non-retryable dispatch failures: claim released, message left to reach the dead-letter queue. */
  failed: number;
  /** Tasks of cancelled (or failed) jobs: closed CANCELLED and deleted, the worker not invoked. */
  cancelled: number;
  /** Tasks of jobs at their maxConcurrency: sent back, delayed, not dispatched (counted in `recycled` too). */
  held: number;
  /** Valid tasks not handed on now, sent back as fresh delayed messages so they never reach the DLQ. */
  recycled: number;
  /** Job notices still due after the grace period, published by this run's sweep. */
  noticesRepublished: number;
  deleted: number;
  /** Deletes that failed; those messages come back and are then deleted as duplicates. */
  deleteFailures: number;
  ms: number;
  /**
   * Why the run ended: the queue was empty, the time budget was spent, or every run slot was taken
   * (`max_parallel` runs were draining: this one did nothing).
   */
  stopped: "empty" | "budget" | "no-slot";
  /** The run slot this run drained in (with scale-out). */
  runSlot?: number;
  /** Runs this run started because the backlog was large. */
  runsStarted?: number;
  requests: RequestCounts;
  /** DynamoDB capacity units this run consumed, by item kind (`capacityCounts` of `@fanout/core`). */
  capacity: CapacityCounts;
}

export function emptySummary(): DrainSummary {
  return {
    received: 0,
    dispatched: 0,
    duplicates: 0,
    busy: 0,
    invalid: 0,
    retried: 0,
    failed: 0,
    cancelled: 0,
    held: 0,
    recycled: 0,
    noticesRepublished: 0,
    deleted: 0,
    deleteFailures: 0,
    ms: 0,
    stopped: "empty",
    requests: {},
    capacity: {},
  };
}
