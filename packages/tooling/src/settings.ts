import { readFileSync } from "node:fs";
import { ranged, ranges, toIssues, ValidationError } from "@fanout/core";
import { z } from "zod";

/**
 * The deployment settings: one `*.tfvars.json` file that Terraform reads with `-var-file` and the local
 * stack reads with {@link loadSettings}, so local and cloud cannot drift. Keys are Terraform variables.
 */
const functionSettings = (memory: number, timeout: number) =>
  z
    .strictObject({
      memory_mb: z.number().int().min(128).max(10_240).default(memory),
      timeout_seconds: z.number().int().min(1).max(900).default(timeout),
      reserved_concurrency: z.number().int().min(0).nullable().default(null),
    })
    .prefault({});

export const settingsSchema = z
  .strictObject({
    name_prefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, "name_prefix must be 3-32 characters of a-z, 0-9 and -")
      .default("fanout"),
    environment: z.string().min(1).default("dev"),
    aws_region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "aws_region must look like us-east-1")
      .default("us-east-1"),
    tags: z.record(z.string(), z.string()).default({}),
    schedule_expression: z
      .string()
      .regex(
        // The same pattern as the Terraform variable's validation: singular unit for 1, plural above.
        /^(rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$/,
        "schedule_expression must be rate(1 minute|hour|day), rate(<n > 1> minutes|hours|days) or cron(<6 fields>)",
      )
      .default("rate(1 minute)"),
    log_retention_days: z.number().int().min(1).default(14),
    log_level: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO"),
    queue: z
      .strictObject({
        visibility_timeout_seconds: z.number().int().min(0).max(43_200).default(120),
        message_retention_seconds: z.number().int().min(60).max(1_209_600).default(345_600),
        max_receive_count: z.number().int().min(1).max(1000).default(5),
      })
      .prefault({}),
    dedup: z
      .strictObject({
        ttl_seconds: ranged(ranges.dedupTtlSeconds, 1_296_000),
        claim_lease_seconds: ranged(ranges.claimLeaseSeconds, 60),
      })
      .prefault({}),
    functions: z
      .strictObject({
        main: functionSettings(256, 60),
        consumer: functionSettings(1769, 60), // one full vCPU (ADR 0006)
        worker: functionSettings(256, 60),
      })
      .prefault({}),
    consumer: z
      .strictObject({
        pollers: ranged(ranges.pollers, 4),
        dispatch_concurrency: ranged(ranges.dispatchConcurrency, 32),
        safety_margin_ms: ranged(ranges.safetyMarginMs, 5_000),
        receive_wait_seconds: ranged(ranges.receiveWaitSeconds, 2),
        // Scale-out: a run starts more runs (up to max_parallel at once) while the queue holds more than
        // scale_out_backlog visible messages per run (ADR 0013).
        max_parallel: ranged(ranges.consumerMaxParallel, 4),
        scale_out_backlog: ranged(ranges.scaleOutBacklog, 1_000),
      })
      .prefault({}),
    worker_async: z
      .strictObject({
        maximum_retry_attempts: ranged(ranges.maximumRetryAttempts, 2),
        maximum_event_age_seconds: ranged(ranges.maximumEventAgeSeconds, 3_600),
      })
      .prefault({}),
    main_nudges_consumer: z.boolean().default(true),
    max_tasks_per_job: ranged(ranges.maxTasksPerJob, 10_000),
    input: z
      .strictObject({
        // Job sources (`{"source": "s3://<input bucket>/<key>"}`) are deleted this many days after upload.
        expire_days: z.number().int().min(1).max(3650).default(7),
      })
      .prefault({}),
    // Largest result a task may return (UTF-8 bytes of its JSON, RESULT_MAX_BYTES): stored in the task
    // record, so it stays well under DynamoDB's 400 KB item limit; a larger result fails the task.
    max_result_bytes: ranged(ranges.resultMaxBytes, 65_536),
    table: z
      .strictObject({
        // DynamoDB refuses to delete the table (and its point-in-time backups with it) while this is on
        // (ADR 0105). Off only where losing the table costs nothing: the dev settings file.
        deletion_protection: z.boolean().default(true),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        // CloudWatch namespace of the functions' EMF metrics (POWERTOOLS_METRICS_NAMESPACE).
        namespace: z
          .string()
          .regex(
            /^[A-Za-z0-9._#:/-]{1,255}$/,
            "metrics.namespace must be 1-255 characters of letters, digits and . _ # : / -",
          )
          .refine((ns) => !ns.startsWith("AWS/"), "metrics.namespace must not start with AWS/")
          .default("Fanout"),
      })
      .prefault({}),
    tracing: z
      .strictObject({
        // X-Ray active tracing on every function (ADR 0103 says what it costs).
        enabled: z.boolean().default(false),
      })
      .prefault({}),
    alarms: z
      .strictObject({
        enabled: z.boolean().default(true),
        // Subscribed to the alarm topic by email (the address must confirm); null subscribes nobody.
        email: z
          .string()
          .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "alarms.email must look like an email address")
          .nullable()
          .default(null),
        // At most 24 periods of at most an hour: CloudWatch evaluates at most one day of data points.
        period_seconds: z.number().int().min(60).max(3600).multipleOf(60).default(300),
        evaluation_periods: z.number().int().min(1).max(24).default(1),
        oldest_message_age_seconds: z.number().int().min(60).max(1_209_600).default(900),
        errors_threshold: z.number().int().min(0).default(0),
        throttles_threshold: z.number().int().min(0).default(0),
        // Of the consumer timeout; must lie past the consumer's own budget (below), default 0.95.
        consumer_duration_ratio: z.number().min(0.1).max(1).default(0.95),
      })
      .prefault({}),
  })
  .superRefine((s, ctx) => {
    // Each invariant below is also a `validation` block in terraform/variables.tf.
    if (s.queue.visibility_timeout_seconds < s.functions.consumer.timeout_seconds) {
      ctx.addIssue({
        code: "custom",
        path: ["queue", "visibility_timeout_seconds"],
        message: `must be at least the consumer timeout (${s.functions.consumer.timeout_seconds} s), or a message still being handled reappears`,
      });
    }
    if (s.dedup.claim_lease_seconds > s.queue.visibility_timeout_seconds) {
      ctx.addIssue({
        code: "custom",
        path: ["dedup", "claim_lease_seconds"],
        message:
          "must not exceed queue.visibility_timeout_seconds, or a redelivered message meets a live claim",
      });
    }
    const outlive = s.queue.message_retention_seconds + s.worker_async.maximum_event_age_seconds;
    if (s.dedup.ttl_seconds <= outlive) {
      ctx.addIssue({
        code: "custom",
        path: ["dedup", "ttl_seconds"],
        message: `must exceed message retention + maximum event age (${outlive} s), so no redelivery outlives its dedup record`,
      });
    }
    if (s.consumer.safety_margin_ms >= s.functions.consumer.timeout_seconds * 1000) {
      ctx.addIssue({
        code: "custom",
        path: ["consumer", "safety_margin_ms"],
        message: "must be shorter than the consumer timeout",
      });
    }
    // A consumer with a backlog runs until timeout - safety margin by design; an alarm below that fires
    // on every busy run. Past it, the alarm means a run overran its own budget and is nearing a kill.
    const timeoutMs = s.functions.consumer.timeout_seconds * 1000;
    if (s.alarms.consumer_duration_ratio * timeoutMs <= timeoutMs - s.consumer.safety_margin_ms) {
      ctx.addIssue({
        code: "custom",
        path: ["alarms", "consumer_duration_ratio"],
        message: `must put the alarm past the consumer's own budget (timeout - safety margin = ${timeoutMs - s.consumer.safety_margin_ms} ms), or it fires on every run with a backlog`,
      });
    }
  });

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

/** Validates settings (defaults filled in); throws a {@link ValidationError} naming every bad key. */
export function parseSettings(input: unknown, source = "settings"): Settings {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(source, toIssues(parsed.error));
  return parsed.data;
}

/** Reads and validates a `*.tfvars.json` settings file. */
export function loadSettings(path: string): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ValidationError(`settings file ${path}`, [{ path: "", reason: (error as Error).message }], {
      cause: error,
    });
  }
  return parseSettings(raw, `settings file ${path}`);
}

/** Resource names derived from the prefix; Terraform derives the same ones. */
export function resourceNames(settings: Pick<Settings, "name_prefix">) {
  const p = settings.name_prefix;
  return {
    mainFunction: `${p}-main`,
    consumerFunction: `${p}-consumer`,
    workerFunction: `${p}-worker`,
    tasksQueue: `${p}-tasks`,
    deadLetterQueue: `${p}-tasks-dlq`,
    failedQueue: `${p}-failed-tasks`,
    table: `${p}-dedup`,
    /** SNS FIFO topic of the `job.finished` notices (JOBS_TOPIC_ARN). */
    jobsTopic: `${p}-jobs.fifo`,
    /**
     * The bucket of job sources (INPUT_BUCKET) on the local stack. Terraform names it with this as a
     * prefix plus a unique suffix, since bucket names are global.
     */
    inputBucket: `${p}-input`,
  };
}
export type ResourceNames = ReturnType<typeof resourceNames>;
