import { createHash } from "node:crypto";
import { z } from "zod";
import { InvalidJobError } from "./errors.ts";
import { toIssues } from "./issues.ts";
import { jobLimits, utf8Bytes } from "./limits.ts";
import { encodedValueBytes, makePayloadTask, makeTask, type Task } from "./task.ts";

/** How a job runs, besides its tasks; every option is optional and stored on the job record. */
export interface JobRunOptions {
  /** Never more than this many of the job's tasks running at once. */
  maxConcurrency?: number;
  /** The job fails (and its remaining tasks are cancelled) once more than this many tasks failed for good. */
  toleratedFailureCount?: number;
  /** The same as a percentage of the job's tasks (0 to 100). */
  toleratedFailurePercentage?: number;
}

/** A validated job: its id, its tasks in submission order, and its options. */
export type Job = {
  jobId: string;
  /** sha256 of the tasks and options, so a resubmission with other content under the same jobId is refused. */
  contentHash: string;
  options: JobRunOptions;
} & (
  | {
      /** The seed's format, `names: [{"name": ...}]`: v1 task messages, as before job options existed. */
      format: "names";
      names: string[];
    }
  | {
      /** `tasks: [<any JSON value>]`: v2 task messages carrying the value as `payload`. */
      format: "tasks";
      payloads: unknown[];
    }
);

export interface ParseJobOptions {
  /** Tasks allowed in one job; defaults to `jobLimits.maxTasksPerJob`. */
  maxTasks?: number;
}

const encodedLimit = (what: string) => ({
  error: (i: { input: unknown }) =>
    `${what} is ${encodedValueBytes(i.input)} bytes once JSON-escaped for the task message (control characters take 6 bytes each), over the ${jobLimits.maxEncodedNameBytes}-byte limit`,
});

const nameSchema = z
  .string({ error: (i) => (i.input === undefined ? "name is missing" : "name must be a string") })
  .min(1, "name must not be empty")
  .refine((s) => utf8Bytes(s) <= jobLimits.maxNameBytes, {
    error: (i) =>
      `name is ${utf8Bytes(String(i.input))} bytes, over the ${jobLimits.maxNameBytes}-byte limit`,
    abort: true,
  })
  .refine((s) => encodedValueBytes(s) <= jobLimits.maxEncodedNameBytes, encodedLimit("name"));

export const entrySchema = z.strictObject(
  { name: nameSchema },
  {
    error: (i) =>
      i.code === "unrecognized_keys" ? undefined : 'entry must be an object like {"name": "..."}',
  },
);

/** A task may be any JSON value (null too), as long as its message fits the same limit as a name's. */
export const payloadSchema = z
  .json({ error: "task must be a JSON value (no undefined, functions or non-finite numbers)" })
  .refine((v) => encodedValueBytes(v) <= jobLimits.maxEncodedNameBytes, encodedLimit("task"));

export const optionsShape = {
  maxConcurrency: z
    .number({ error: "maxConcurrency must be a whole number from 1 to 1000" })
    .int("maxConcurrency must be a whole number from 1 to 1000")
    .min(1, "maxConcurrency must be a whole number from 1 to 1000")
    .max(jobLimits.maxConcurrency, "maxConcurrency must be a whole number from 1 to 1000")
    .optional(),
  toleratedFailureCount: z
    .number({ error: "toleratedFailureCount must be a whole number, 0 or more" })
    .int("toleratedFailureCount must be a whole number, 0 or more")
    .nonnegative("toleratedFailureCount must be a whole number, 0 or more")
    .optional(),
  toleratedFailurePercentage: z
    .number({ error: "toleratedFailurePercentage must be a number from 0 to 100" })
    .min(0, "toleratedFailurePercentage must be a number from 0 to 100")
    .max(100, "toleratedFailurePercentage must be a number from 0 to 100")
    .optional(),
};

function jobSchema(maxTasks: number) {
  const list = <T extends z.ZodType>(entry: T, field: string, what: string) =>
    z
      .array(entry, {
        error: (i) => (i.input === undefined ? `${field} is missing` : `${field} must be a list`),
      })
      .min(1, `${field} must not be empty`)
      .max(maxTasks, `a job may have at most ${maxTasks} ${what}`);
  const base = {
    jobId: z
      .string()
      .regex(jobLimits.jobIdPattern, "jobId must be 1-64 characters of A-Z a-z 0-9 _ . : -")
      .optional(),
    ...optionsShape,
  };
  const objectError = {
    error: (i: { code: string }) =>
      i.code === "unrecognized_keys" ? undefined : "job must be a JSON object",
  };
  return z.union([
    z.strictObject({ ...base, names: list(entrySchema, "names", "names") }, objectError),
    z.strictObject({ ...base, tasks: list(payloadSchema, "tasks", "tasks") }, objectError),
  ]);
}

/** Hash of the seed format's names; the default jobId is derived from it, so a retried submission dedups. */
export function contentHashOf(names: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(names)).digest("hex");
}

export function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/**
 * The job's content for its hash. A seed job without options hashes as it always did (its default jobId
 * and the stored hash of a job submitted before options existed stay the same).
 */
function contentOf(job: { names?: string[]; tasks?: unknown[] }, options: JobRunOptions): string {
  const hasOptions = Object.keys(options).length > 0;
  if (job.names && !hasOptions) return contentHashOf(job.names);
  return hashOf(job.names ? { names: job.names, options } : { tasks: job.tasks, options });
}

/** Picks the issues of the branch the input meant: `tasks` if it has that key, the seed format otherwise. */
function issuesOf(error: z.ZodError, value: unknown) {
  const union = error.issues.find((i) => i.code === "invalid_union");
  if (!union || !("errors" in union)) return toIssues(error);
  const meant =
    value !== null && typeof value === "object" && "tasks" in value && !("names" in value) ? 1 : 0;
  const branch = union.errors[meant] ?? [];
  if (value !== null && typeof value === "object" && "tasks" in value && "names" in value)
    return [{ path: "", reason: "a job has either names or tasks, not both" }];
  return toIssues(new z.ZodError(branch));
}

/**
 * Validates a job before anything is sent. Accepts the parsed object or its JSON text. Reports every
 * problem, each bad entry by index, in one {@link InvalidJobError}.
 *
 * @example
 * const job = parseJob({ names: [{ name: "Name1" }, { name: "Name2" }] });
 * job.format === "names" && job.names; // ["Name1", "Name2"]
 */
export function parseJob(input: unknown, options: ParseJobOptions = {}): Job {
  const maxTasks = options.maxTasks ?? jobLimits.maxTasksPerJob;
  let value = input;
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    const text = input.toString();
    if (utf8Bytes(text) > jobLimits.maxJobBytes) {
      throw new InvalidJobError([
        { path: "", reason: `job is over the ${jobLimits.maxJobBytes}-byte limit` },
      ]);
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InvalidJobError(
        [{ path: "", reason: `job is not valid JSON (${(error as Error).message})` }],
        { cause: error },
      );
    }
  } else if (input !== null && typeof input === "object") {
    const bytes = utf8Bytes(JSON.stringify(input));
    if (bytes > jobLimits.maxJobBytes) {
      throw new InvalidJobError([
        { path: "", reason: `job is ${bytes} bytes, over the ${jobLimits.maxJobBytes}-byte limit` },
      ]);
    }
  }
  const parsed = jobSchema(maxTasks).safeParse(value);
  if (!parsed.success) throw new InvalidJobError(issuesOf(parsed.error, value));
  const { jobId, maxConcurrency, toleratedFailureCount, toleratedFailurePercentage } = parsed.data;
  const runOptions: JobRunOptions = {
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    ...(toleratedFailureCount === undefined ? {} : { toleratedFailureCount }),
    ...(toleratedFailurePercentage === undefined ? {} : { toleratedFailurePercentage }),
  };
  if ("names" in parsed.data) {
    const names = parsed.data.names.map((entry) => entry.name);
    const contentHash = contentOf({ names }, runOptions);
    return {
      jobId: jobId ?? `j-${contentHash.slice(0, 24)}`,
      contentHash,
      options: runOptions,
      format: "names",
      names,
    };
  }
  const payloads = parsed.data.tasks as unknown[];
  const contentHash = contentOf({ tasks: payloads }, runOptions);
  return {
    jobId: jobId ?? `j-${contentHash.slice(0, 24)}`,
    contentHash,
    options: runOptions,
    format: "tasks",
    payloads,
  };
}

/** Number of tasks in a job. */
export function taskCountOf(job: Job): number {
  return job.format === "names" ? job.names.length : job.payloads.length;
}

/** The job's task at `index`, for the job's incarnation `epoch`. */
export function taskOf(job: Job, index: number, epoch: number): Task {
  return job.format === "names"
    ? makeTask(job.jobId, index, job.names[index] ?? "", epoch)
    : makePayloadTask(job.jobId, index, job.payloads[index], epoch);
}
