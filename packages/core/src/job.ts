import { createHash } from "node:crypto";
import { z } from "zod";
import { InvalidJobError } from "./errors.ts";
import { toIssues } from "./issues.ts";
import { jobLimits, utf8Bytes } from "./limits.ts";
import { encodedNameBytes } from "./task.ts";

/** A validated job: its id and one name per task, in submission order. */
export interface Job {
  jobId: string;
  names: string[];
  /** sha256 of the names, so a resubmission with other content under the same jobId is refused. */
  contentHash: string;
}

export interface JobOptions {
  /** Tasks allowed in one job; defaults to `jobLimits.maxTasksPerJob`. */
  maxTasks?: number;
}

const nameSchema = z
  .string({ error: (i) => (i.input === undefined ? "name is missing" : "name must be a string") })
  .min(1, "name must not be empty")
  .refine((s) => utf8Bytes(s) <= jobLimits.maxNameBytes, {
    error: (i) =>
      `name is ${utf8Bytes(String(i.input))} bytes, over the ${jobLimits.maxNameBytes}-byte limit`,
    abort: true,
  })
  .refine((s) => encodedNameBytes(s) <= jobLimits.maxEncodedNameBytes, {
    error: (i) =>
      `name is ${encodedNameBytes(String(i.input))} bytes once JSON-escaped for the task message (control characters take 6 bytes each), over the ${jobLimits.maxEncodedNameBytes}-byte limit`,
  });

const entrySchema = z.strictObject(
  { name: nameSchema },
  {
    error: (i) =>
      i.code === "unrecognized_keys" ? undefined : 'entry must be an object like {"name": "..."}',
  },
);

function jobSchema(maxTasks: number) {
  return z.strictObject(
    {
      jobId: z
        .string()
        .regex(jobLimits.jobIdPattern, "jobId must be 1-64 characters of A-Z a-z 0-9 _ . : -")
        .optional(),
      names: z
        .array(entrySchema, {
          error: (i) => (i.input === undefined ? "names is missing" : "names must be a list"),
        })
        .min(1, "names must not be empty")
        .max(maxTasks, `a job may have at most ${maxTasks} names`),
    },
    { error: (i) => (i.code === "unrecognized_keys" ? undefined : "job must be a JSON object") },
  );
}

/** Hash of the job's content; the default jobId is derived from it, so a retried submission dedups. */
export function contentHashOf(names: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(names)).digest("hex");
}

/**
 * Validates a job before anything is sent. Accepts the parsed object or its JSON text. Reports every
 * problem, each bad entry by index, in one {@link InvalidJobError}.
 *
 * @example
 * const job = parseJob({ names: [{ name: "Name1" }, { name: "Name2" }] });
 * job.names; // ["Name1", "Name2"]
 */
export function parseJob(input: unknown, options: JobOptions = {}): Job {
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
        {
          cause: error,
        },
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
  if (!parsed.success) throw new InvalidJobError(toIssues(parsed.error));
  const names = parsed.data.names.map((entry) => entry.name);
  const contentHash = contentHashOf(names);
  return { jobId: parsed.data.jobId ?? `j-${contentHash.slice(0, 24)}`, names, contentHash };
}
