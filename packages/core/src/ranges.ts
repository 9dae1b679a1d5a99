import { z } from "zod";

/**
 * Allowed ranges of the tunables that appear both in the settings file (snake_case, read by Terraform and
 * the local stack) and in the functions' environment (read at cold start): one definition, so a value the
 * settings accept is never refused by a function, and the other way round.
 */
export const ranges = {
  dedupTtlSeconds: { min: 60 },
  claimLeaseSeconds: { min: 5, max: 900 },
  pollers: { min: 1, max: 32 },
  dispatchConcurrency: { min: 1, max: 512 },
  safetyMarginMs: { min: 500 },
  receiveWaitSeconds: { min: 0, max: 20 },
  maxTasksPerJob: { min: 1, max: 100_000 },
  /** Longest Lambda timeout (900 s) plus margin. */
  runLeaseSeconds: { min: 1, max: 960 },
  /** Lambda's asynchronous retries (PutFunctionEventInvokeConfig). */
  maximumRetryAttempts: { min: 0, max: 2 },
  maximumEventAgeSeconds: { min: 60, max: 21_600 },
  /**
   * A task's result, as UTF-8 JSON: stored in the task record, whose item must stay under DynamoDB's
   * 400 KB with its other attributes (350 KiB leaves 50 KiB for them).
   */
  resultMaxBytes: { min: 1, max: 358_400 },
  /** Consumer runs at once when the backlog is large (each holds one run slot in the table). */
  consumerMaxParallel: { min: 1, max: 100 },
  /** Visible messages per consumer run before another run is started. */
  scaleOutBacklog: { min: 10, max: 1_000_000 },
} as const;

/** A settings-file integer within `range`, defaulting to `fallback`. */
export function ranged(range: { min: number; max?: number }, fallback: number) {
  const n = z.number().int().min(range.min);
  return (range.max === undefined ? n : n.max(range.max)).default(fallback);
}
