import { jobLimits, s3UrlPattern } from "@fanout/core";
import { z } from "zod";
import { UsageError } from "./errors.ts";

/**
 * Every flag and argument is checked with a schema before anything is read or sent, so a bad value is a
 * usage error (exit 2) naming the flag, not a failure halfway through.
 */
const intFlag = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .int(`${flag} must be a whole number`)
    .min(min, `${flag} must be at least ${min}`)
    .max(max, `${flag} must be at most ${max}`);

const secondsFlag = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number of seconds` })
    .refine(
      (n) => Number.isFinite(n) && n >= min && n <= max,
      `${flag} must be from ${min} to ${max} seconds`,
    );

export const globalFlags = z.object({
  settings: z.string().min(1, "--settings must be a path").optional(),
  prefix: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, "--prefix must be 3-32 characters of a-z, 0-9 and -")
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "--region must look like us-east-1")
    .optional(),
  profile: z.string().min(1, "--profile must not be empty").optional(),
});
export type GlobalFlags = z.output<typeof globalFlags>;

export const jobIdArg = z
  .string()
  .regex(jobLimits.jobIdPattern, "jobId must be 1-64 characters of A-Z a-z 0-9 _ . : -");

const watchFlags = {
  interval: secondsFlag("--interval", 0.1, 3_600).default(2),
  timeout: secondsFlag("--timeout", 0, 86_400).default(0),
};

/** An S3 URL as `main` takes it in `{"source": ...}` (the same pattern as @fanout/core's source jobs). */

/** What `submit` sends: a job file (or stdin), or an object already in S3. */
export type SubmitInput =
  | {
      kind: "file";
      file: string /** `--source` without a URL: the file is a tasks source. */;
      source: boolean;
    }
  | { kind: "s3"; url: string };

export const submitFlags = z
  .object({
    file: z.string().min(1, "give a job file, or - for stdin").optional(),
    // `--source` alone marks the file as a tasks source; `--source s3://bucket/key` names an object already
    // in S3. Commander gives `--source file.jsonl` (the file right after the flag) as the flag's value.
    source: z.union([z.literal(true), z.string()]).optional(),
    jobId: jobIdArg.optional(),
    format: z.enum(["names", "tasks"], { error: "--format must be names or tasks" }).optional(),
    maxConcurrency: intFlag("--max-concurrency", 1, jobLimits.maxConcurrency).optional(),
    toleratedFailures: intFlag("--tolerated-failures", 0, jobLimits.maxSourceTasks).optional(),
    toleratedFailurePercentage: z.coerce
      .number({ error: "--tolerated-failure-percentage must be a number" })
      .refine(
        (n) => Number.isFinite(n) && n >= 0 && n <= 100,
        "--tolerated-failure-percentage must be from 0 to 100",
      )
      .optional(),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "--bucket must be an S3 bucket name (3-63 of a-z 0-9 . -)")
      .optional(),
    watch: z.boolean().default(false),
    json: z.boolean().default(false),
    ...watchFlags,
  })
  .transform(({ file, source, ...rest }, ctx) => {
    const fail = (message: string) => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    };
    let input: SubmitInput;
    if (typeof source === "string" && source.startsWith("s3:")) {
      if (!s3UrlPattern.test(source)) return fail("--source must be an S3 URL like s3://bucket/tasks.jsonl");
      if (file !== undefined) return fail("give a job file or --source s3://..., not both");
      if (rest.bucket !== undefined)
        return fail("--bucket is for uploads; --source s3://... names its bucket");
      input = { kind: "s3", url: source };
    } else if (typeof source === "string") {
      if (file !== undefined) return fail("--source takes an S3 URL (s3://bucket/key), or no value");
      input = { kind: "file", file: source, source: true };
    } else {
      if (file === undefined) return fail("give a job file, - for stdin, or --source s3://bucket/key");
      input = { kind: "file", file, source: source === true };
    }
    return { input, ...rest };
  });
export type SubmitFlags = z.output<typeof submitFlags>;

export const statusFlags = z.object({
  jobId: jobIdArg,
  watch: z.boolean().default(false),
  json: z.boolean().default(false),
  ...watchFlags,
});
export type StatusFlags = z.output<typeof statusFlags>;

export const resultsFlags = z.object({
  jobId: jobIdArg,
  failed: z.boolean().default(false),
  from: intFlag("--from", 0, 1_000_000).default(0),
  limit: intFlag("--limit", 1, 1_000_000).optional(),
});
export type ResultsFlags = z.output<typeof resultsFlags>;

export const cancelFlags = z.object({
  jobId: jobIdArg,
  json: z.boolean().default(false),
});
export type CancelFlags = z.output<typeof cancelFlags>;

/** Jobs per page of `fanout jobs`. */
export const defaultJobsLimit = 20;

export const jobsFlags = z.object({
  limit: intFlag("--limit", 1, 1_000).default(defaultJobsLimit),
  after: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,2048}$/, "--after must be a cursor printed by `fanout jobs` (next page: ...)")
    .optional(),
  json: z.boolean().default(false),
});
export type JobsFlags = z.output<typeof jobsFlags>;

export const failedListFlags = z.object({
  json: z.boolean().default(false),
  max: intFlag("--max", 1, 10_000).default(50),
});
export type FailedListFlags = z.output<typeof failedListFlags>;

export const failedRedriveFlags = z.object({
  json: z.boolean().default(false),
  max: intFlag("--max", 1, 100_000).default(1_000),
  dryRun: z.boolean().default(false),
  nudge: z.boolean().default(true),
});
export type FailedRedriveFlags = z.output<typeof failedRedriveFlags>;

export const invokeFlags = z.object({
  function: z
    .string()
    .regex(/^[A-Za-z0-9_:.$-]{1,170}$/, "function must be main, consumer, worker, a name or an ARN"),
  payload: z.string().default("{}"),
  event: z.boolean().default(false),
  log: z.boolean().default(false),
});
export type InvokeFlags = z.output<typeof invokeFlags>;

/** A duration such as 90s, 15m, 1h or 7d, in milliseconds (at most 15 days: CloudWatch's 1-minute data). */
export const durationFlag = (flag: string) =>
  z
    .string()
    .regex(/^\d+(s|m|h|d)$/, `${flag} must be a duration such as 30m, 1h or 2d`)
    .transform(
      (text) =>
        Number(text.slice(0, -1)) * ({ s: 1, m: 60, h: 3_600, d: 86_400 }[text.slice(-1)] ?? 0) * 1000,
    )
    .refine((ms) => ms >= 60_000 && ms <= 15 * 86_400_000, `${flag} must be from 1m to 15d`);

export const doctorFlags = z.object({ json: z.boolean().default(false) });

export const metricsFlags = z.object({
  since: durationFlag("--since").default(3_600_000),
  json: z.boolean().default(false),
  source: z
    .enum(["auto", "logs", "cloudwatch"], { error: "--source must be auto, logs or cloudwatch" })
    .default("auto"),
  logDir: z.string().min(1, "--log-dir must be a path").optional(),
});
export type MetricsFlags = z.output<typeof metricsFlags>;

/** Parses raw flag values with a schema; the first problem becomes a {@link UsageError} for `command`. */
export function parseFlags<S extends z.ZodType>(schema: S, raw: unknown, command: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UsageError(issue?.message ?? "invalid arguments", command);
}
