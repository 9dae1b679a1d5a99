import { z } from "zod";
import { ValidationError } from "./errors.ts";
import { toIssues } from "./issues.ts";
import { jobLimits, utf8Bytes } from "./limits.ts";

/**
 * One unit of work: the body of a tasks-queue message and, unchanged, the worker's event.
 * `v` lets a later format coexist with messages still in the queue.
 */
export interface Task {
  v: 1;
  jobId: string;
  /**
   * The job record's incarnation (its creation time, epoch ms): a jobId submitted again after its record
   * expired is a new job, and its tasks must not meet the old job's task records. 0 for messages from
   * before epochs existed.
   */
  epoch: number;
  index: number;
  name: string;
}

const taskSchema = z.strictObject({
  v: z.literal(1),
  jobId: z.string().regex(jobLimits.jobIdPattern, "jobId is not a valid job id"),
  epoch: z.number().int().nonnegative().default(0),
  index: z
    .number()
    .int()
    .nonnegative()
    .max(jobLimits.maxTasksPerJob * 10),
  name: z
    .string()
    .min(1)
    .refine((s) => utf8Bytes(s) <= jobLimits.maxNameBytes, "name is over the size limit"),
});

/** The dedup key: stable across resubmissions of the same job (a MessageId is not). */
export function taskIdOf(task: Pick<Task, "jobId" | "index">): string {
  return `${task.jobId}#${task.index}`;
}

export function makeTask(jobId: string, index: number, name: string, epoch = 0): Task {
  return { v: 1, jobId, epoch, index, name };
}

/** JSON text that SQS accepts: it rejects U+FFFE and U+FFFF, which JSON.stringify leaves as they are. */
function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Serialises a task with JSON.stringify: any name, quotes and newlines included, survives intact. */
export function encodeTask(task: Task): string {
  return sqsSafeJson(task);
}

/** UTF-8 bytes a name takes inside an encoded task (quotes included). */
export function encodedNameBytes(name: string): number {
  return utf8Bytes(sqsSafeJson(name));
}

/** Validates an untrusted task (a message body string or a worker event object). */
export function parseTask(input: unknown, what = "task"): Task {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new ValidationError(what, [{ path: "", reason: "body is not valid JSON" }], { cause: error });
    }
  }
  const parsed = taskSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(what, toIssues(parsed.error));
  return parsed.data;
}
