import { z } from "zod";
import { InvalidJobError } from "./errors.ts";
import { toIssues } from "./issues.ts";
import { entrySchema, hashOf, type JobRunOptions, optionsShape, payloadSchema } from "./job.ts";
import { jobLimits } from "./limits.ts";
import { makePayloadTask, makeTask, type Task } from "./task.ts";

/** How a source's records read: `{"name": ...}` entries (v1 messages) or any JSON value (v2). */
export type TaskFormat = "names" | "tasks";

/** A `.json` object is one JSON array of tasks; anything else is JSON Lines (one task per line). */
export type SourceLayout = "lines" | "array";

/** A validated job that names its tasks in an S3 object instead of listing them. */
export interface SourceJobRequest {
  jobId?: string;
  source: { url: string; bucket: string; key: string; layout: SourceLayout };
  /** Unset: decided by the first record (`{"name": "<string>"}` alone means names). */
  format?: TaskFormat;
  options: JobRunOptions;
}

/** `s3://<bucket>/<key>`: the bucket (3-63 lowercase letters, digits, dots, hyphens) and a non-empty key. */
export const s3UrlPattern = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

const sourceJobSchema = z.strictObject(
  {
    jobId: z
      .string()
      .regex(jobLimits.jobIdPattern, "jobId must be 1-64 characters of A-Z a-z 0-9 _ . : -")
      .optional(),
    source: z
      .string({ error: 'source must be an S3 URL like "s3://bucket/tasks.jsonl"' })
      .regex(s3UrlPattern, 'source must be an S3 URL like "s3://bucket/tasks.jsonl"'),
    format: z.enum(["names", "tasks"], { error: 'format must be "names" or "tasks"' }).optional(),
    ...optionsShape,
  },
  {
    error: (i) => (i.code === "unrecognized_keys" ? undefined : "job must be a JSON object"),
  },
);

/** True when a job names a source object (`{"source": ...}`) rather than listing its tasks. */
export function isSourceJob(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "source" in value;
}

/**
 * Validates a source job's request (not its records: those are read from S3 by `main`).
 *
 * @example
 * parseSourceJob({ source: "s3://fanout-input/big.jsonl" }).source.layout; // "lines"
 */
export function parseSourceJob(input: unknown): SourceJobRequest {
  const parsed = sourceJobSchema.safeParse(input);
  if (!parsed.success) throw new InvalidJobError(toIssues(parsed.error));
  const { jobId, source, format, ...rest } = parsed.data;
  const [, bucket = "", key = ""] = s3UrlPattern.exec(source) ?? [];
  const options: JobRunOptions = Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined),
  ) as JobRunOptions;
  return {
    ...(jobId === undefined ? {} : { jobId }),
    source: { url: source, bucket, key, layout: key.endsWith(".json") ? "array" : "lines" },
    ...(format === undefined ? {} : { format }),
    options,
  };
}

/** The format a source without `format` has: names when its first record is exactly `{"name": "<string>"}`. */
export function detectFormat(first: unknown): TaskFormat {
  if (first === null || typeof first !== "object" || Array.isArray(first)) return "tasks";
  const keys = Object.keys(first);
  return keys.length === 1 && typeof (first as { name?: unknown }).name === "string" ? "names" : "tasks";
}

export type SourceRecord = { ok: true; value: unknown } | { ok: false; reason: string };

/** Parses one record's text (a line, or an array element) and checks it as a task of `format`. */
export function checkSourceRecord(text: string, format: TaskFormat | undefined): SourceRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  const schema = (format ?? detectFormat(value)) === "names" ? entrySchema : payloadSchema;
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value };
  const reason = toIssues(parsed.error)
    .map((i) => (i.path ? `${i.path}: ${i.reason}` : i.reason))
    .join("; ");
  return { ok: false, reason };
}

/** The task message of a source record already checked by {@link checkSourceRecord}. */
export function sourceTaskOf(
  jobId: string,
  index: number,
  value: unknown,
  format: TaskFormat,
  epoch: number,
): Task {
  return format === "names"
    ? makeTask(jobId, index, (value as { name: string }).name, epoch)
    : makePayloadTask(jobId, index, value, epoch);
}

/**
 * A source job's content hash: the object's bytes (sha256), its format and the options. The same bytes
 * under another key are the same job (the default jobId follows); other options make another job.
 */
export function sourceContentHash(objectSha256: string, format: TaskFormat, options: JobRunOptions): string {
  return hashOf({ source: objectSha256, format, options });
}

/** The jobId a job gets when its caller gave none: derived from its content, so a retried submit dedups. */
export function defaultJobId(contentHash: string): string {
  return `j-${contentHash.slice(0, 24)}`;
}
