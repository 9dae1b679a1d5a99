import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { toIssues } from "./issues.ts";
import { ranges } from "./ranges.ts";

/** An integer variable in `range`, with a default for when it is unset. */
const int = (range: { min: number; max?: number }, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(range.min)
    .max(range.max ?? Number.MAX_SAFE_INTEGER)
    .default(fallback);
const name = z.string().min(1, "is empty");
const url = z.url("must be a URL");

export const mainConfigSchema = z.object({
  TASKS_QUEUE_URL: url,
  TABLE_NAME: name,
  CONSUMER_FUNCTION_NAME: name.optional(),
  DEDUP_TTL_SECONDS: int(ranges.dedupTtlSeconds, 1_296_000),
  MAX_TASKS_PER_JOB: int(ranges.maxTasksPerJob, 10_000),
});

export const consumerConfigSchema = z.object({
  TASKS_QUEUE_URL: url,
  TABLE_NAME: name,
  WORKER_FUNCTION_NAME: name,
  DEDUP_TTL_SECONDS: int(ranges.dedupTtlSeconds, 1_296_000),
  CLAIM_LEASE_SECONDS: int(ranges.claimLeaseSeconds, 60),
  POLLERS: int(ranges.pollers, 4),
  DISPATCH_CONCURRENCY: int(ranges.dispatchConcurrency, 32),
  SAFETY_MARGIN_MS: int(ranges.safetyMarginMs, 5_000),
  RECEIVE_WAIT_SECONDS: int(ranges.receiveWaitSeconds, 2),
});

export const workerConfigSchema = z.object({
  TABLE_NAME: name,
  DEDUP_TTL_SECONDS: int(ranges.dedupTtlSeconds, 1_296_000),
  /**
   * How long a RUNNING lease lasts. Terraform and the local stack set the worker timeout + 30 s; the
   * default outlasts the longest Lambda timeout, so an unset value is slow to recover a crash, never unsafe.
   */
  RUN_LEASE_SECONDS: int(ranges.runLeaseSeconds, 960),
  /** The worker's async retries and event age, as Terraform configures them: a failure is final when Lambda will not retry. */
  MAX_RETRY_ATTEMPTS: int(ranges.maximumRetryAttempts, 2),
  MAX_EVENT_AGE_SECONDS: int(ranges.maximumEventAgeSeconds, 21_600),
});

export type MainConfig = z.output<typeof mainConfigSchema>;
export type ConsumerConfig = z.output<typeof consumerConfigSchema>;
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/**
 * Reads a function's configuration from environment variables once, at cold start. Fails with a
 * {@link ConfigError} that names every missing or invalid variable.
 *
 * @example
 * const config = readConfig(consumerConfigSchema); // throws "invalid configuration: TABLE_NAME: is missing"
 */
export function readConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      toIssues(parsed.error).map((i) => ({
        path: i.path,
        reason: i.reason.includes("received undefined") ? "is missing" : i.reason,
      })),
    );
  }
  return parsed.data;
}
