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
/** A fraction from 0 to 1, with a default for when it is unset. */
const fraction = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number from 0 to 1" })
    .min(0, "must be a number from 0 to 1")
    .max(1, "must be a number from 0 to 1")
    .default(fallback);

/** Powertools' log levels, in any case. */
const logLevel = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(
    z.enum(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"], {
      error: "must be TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT",
    }),
  );

/** What `createLogger` reads: every function gets it besides its own configuration. */
export const loggerConfigSchema = z.object({
  /** Level of every log line (Terraform sets DEBUG, INFO, WARN or ERROR). @default "INFO" */
  LOG_LEVEL: logLevel.optional(),
  /** Powertools' own name for the level, read when LOG_LEVEL is unset. */
  POWERTOOLS_LOG_LEVEL: logLevel.optional(),
});

export const mainConfigSchema = z.object({
  /** URL of the tasks queue (`<prefix>-tasks`) the job's tasks are sent to. */
  TASKS_QUEUE_URL: url,
  /** The dedup table (`<prefix>-dedup`) holding the job records. */
  TABLE_NAME: name,
  /** The consumer to nudge after enqueueing, so work starts now; unset = no nudge, the schedule runs it. */
  CONSUMER_FUNCTION_NAME: name.optional(),
  /** Lifetime of a job record in seconds (at least 60). @default 1296000 */
  DEDUP_TTL_SECONDS: int(ranges.dedupTtlSeconds, 1_296_000),
  /** Most tasks (names) one job may hold (1 to 100000). @default 10000 */
  MAX_TASKS_PER_JOB: int(ranges.maxTasksPerJob, 10_000),
  /**
   * The bucket job sources are read from (`{"source": "s3://<bucket>/<key>"}`); a source elsewhere is
   * refused by name. Unset = source jobs are refused.
   */
  INPUT_BUCKET: name.optional(),
  /** Set by Lambda: main hands the rest of a long source job over to itself under this name. */
  AWS_LAMBDA_FUNCTION_NAME: name.optional(),
});

export const consumerConfigSchema = z.object({
  /** URL of the tasks queue to receive from. */
  TASKS_QUEUE_URL: url,
  /** The dedup table holding the claims. */
  TABLE_NAME: name,
  /** The worker function each claimed task is handed to. */
  WORKER_FUNCTION_NAME: name,
  /** Lifetime of a task record in seconds (at least 60). @default 1296000 */
  DEDUP_TTL_SECONDS: int(ranges.dedupTtlSeconds, 1_296_000),
  /** How long a claim blocks other consumers' runs of the task, in seconds (5 to 900). @default 60 */
  CLAIM_LEASE_SECONDS: int(ranges.claimLeaseSeconds, 60),
  /** Receive loops run at once (1 to 32). @default 4 */
  POLLERS: int(ranges.pollers, 4),
  /** Worker invocations in flight at once (1 to 512). @default 32 */
  DISPATCH_CONCURRENCY: int(ranges.dispatchConcurrency, 32),
  /** Stop receiving when less than this much of the function's time is left, in ms (at least 500). @default 5000 */
  SAFETY_MARGIN_MS: int(ranges.safetyMarginMs, 5_000),
  /** Long-poll wait of each receive, in seconds (0 to 20). @default 2 */
  RECEIVE_WAIT_SECONDS: int(ranges.receiveWaitSeconds, 2),
  /**
   * The SNS FIFO topic (`<prefix>-jobs.fifo`) that gets one `job.finished` notice per job: the consumer
   * drops cancelled tasks (which can finish a job) and republishes notices a crash left unsent. Unset = the
   * notice is recorded on the job but not published.
   */
  JOBS_TOPIC_ARN: name.optional(),
  /** Most consumer runs at once (1 to 100); 1 = no scale-out. @default 1 */
  CONSUMER_MAX_PARALLEL: int(ranges.consumerMaxParallel, 1),
  /** Visible messages per run before another run is started (at least 10). @default 1000 */
  SCALE_OUT_BACKLOG: int(ranges.scaleOutBacklog, 1_000),
  /** Set by Lambda: a run starts more runs of this same function. */
  AWS_LAMBDA_FUNCTION_NAME: name.optional(),
});

export const workerConfigSchema = z.object({
  /** The dedup table holding the task records. */
  TABLE_NAME: name,
  /** Lifetime of a task record in seconds (at least 60). @default 1296000 */
  DEDUP_TTL_SECONDS: int(ranges.dedupTtlSeconds, 1_296_000),
  /**
   * How long a RUNNING lease lasts, in seconds (1 to 960). Terraform and the local stack set the worker
   * timeout + 30 s; the default outlasts the longest Lambda timeout, so an unset value is slow to recover a
   * crash, never unsafe.
   * @default 960
   */
  RUN_LEASE_SECONDS: int(ranges.runLeaseSeconds, 960),
  /**
   * The worker's async retries (0 to 2), as Terraform configures them: a failure is final when Lambda will
   * not retry.
   * @default 2
   */
  MAX_RETRY_ATTEMPTS: int(ranges.maximumRetryAttempts, 2),
  /** The worker's maximum event age in seconds (60 to 21600), as Terraform configures it. @default 21600 */
  MAX_EVENT_AGE_SECONDS: int(ranges.maximumEventAgeSeconds, 21_600),
  /** Largest result a task may return, in UTF-8 bytes of its JSON (1 to 358400). @default 65536 */
  RESULT_MAX_BYTES: int(ranges.resultMaxBytes, 65_536),
});

/**
 * What the worker's reference task handler reads besides the worker's own configuration: demo knobs that
 * Terraform never sets (so infra-check does not expect them), read at the worker's cold start.
 */
export const referenceTaskConfigSchema = z.object({
  /** The fraction of runs that fail on purpose (0 to 1). @default 0 */
  WORKER_FAIL_RATE: fraction(0),
  /** How long each run takes on purpose, in ms (0 to 60000): slow tasks, for concurrency demos and tests. @default 0 */
  WORKER_DELAY_MS: int({ min: 0, max: 60_000 }, 0),
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
