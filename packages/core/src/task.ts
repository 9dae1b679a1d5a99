import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ValidationError } from "./errors.ts";
import { toIssues } from "./issues.ts";
import { jobLimits, utf8Bytes } from "./limits.ts";

/** What every task carries, whatever its format. */
interface TaskBase {
  jobId: string;
  /**
   * The job record's incarnation (its creation time, epoch ms): a jobId submitted again after its record
   * expired is a new job, and its tasks must not meet the old job's task records. 0 for messages from
   * before epochs existed.
   */
  epoch: number;
  index: number;
}

/** A task of the seed's job format (`names: [{"name": ...}]`): its message is the same as before v2. */
export interface NameTask extends TaskBase {
  v: 1;
  name: string;
}

/** A task of the `tasks: [<any JSON value>]` format. */
export interface PayloadTask extends TaskBase {
  v: 2;
  payload: unknown;
}

/**
 * One unit of work: the body of a tasks-queue message and, unchanged, the worker's event.
 * `v` lets a later format coexist with messages still in the queue: v1 messages are exactly what
 * consumers and workers before v2 read, so a seed job works across a deploy.
 */
export type Task = NameTask | PayloadTask;

const jobId = z.string().regex(jobLimits.jobIdPattern, "jobId is not a valid job id");
const epoch = z.number().int().nonnegative().default(0);
const index = z
  .number()
  .int()
  .nonnegative()
  .max(jobLimits.maxTasksPerJob * 10);

const nameTask = z.strictObject({
  v: z.literal(1),
  jobId,
  epoch,
  index,
  name: z
    .string()
    .min(1)
    .refine((s) => utf8Bytes(s) <= jobLimits.maxNameBytes, "name is over the size limit"),
});
const payloadTask = z.strictObject({
  v: z.literal(2),
  jobId,
  epoch,
  index,
  // Any JSON value, null included; its size was checked by main (the message limit bounds it here).
  payload: z.json(),
});
const taskSchema = z.discriminatedUnion("v", [nameTask, payloadTask]);

/** A dispatch token: random, URL-safe (see {@link newDispatchToken}). */
const token = z.string().regex(/^[\w-]{8,64}$/, "token is not a dispatch token");
/** The concurrency slot the consumer took for the dispatch (a capped job's task), so the worker need not look. */
const slot = z
  .number()
  .int("slot is not a slot number")
  .min(0, "slot is not a slot number")
  .max(jobLimits.maxConcurrency - 1, "slot is not a slot number");
/**
 * A task message never carries a token or a slot; a worker event may (the consumer's claim holds the same
 * token, and the slot is held for the task).
 */
const workerEventSchema = z.discriminatedUnion("v", [
  nameTask.extend({ token: token.optional(), slot: slot.optional() }),
  payloadTask.extend({ token: token.optional(), slot: slot.optional() }),
]);

/** The dedup key: stable across resubmissions of the same job (a MessageId is not). */
export function taskIdOf(task: Pick<Task, "jobId" | "index">): string {
  return `${task.jobId}#${task.index}`;
}

/** A seed-format task: the handler's payload is `{ name }`. */
export function makeTask(jobId: string, index: number, name: string, epoch = 0): NameTask {
  return { v: 1, jobId, epoch, index, name };
}

/** A task of the `tasks` format, carrying any JSON value. */
export function makePayloadTask(jobId: string, index: number, payload: unknown, epoch = 0): PayloadTask {
  return { v: 2, jobId, epoch, index, payload };
}

/** What the worker's handler gets: `{ name }` for a seed task, the payload itself otherwise. */
export function payloadOf(task: Task): unknown {
  return task.v === 1 ? { name: task.name } : task.payload;
}

/** JSON text that SQS accepts: it rejects U+FFFE and U+FFFF, which JSON.stringify leaves as they are. */
function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Serialises a task with JSON.stringify: any name or payload, quotes and newlines included, survives intact. */
export function encodeTask(task: Task): string {
  return sqsSafeJson(task);
}

/**
 * The worker's event: the task's message, plus the dispatch token the consumer wrote with its claim. Only the
 * event holding the claim's token may start the task (ADR 0015), so an event of an earlier claim that Lambda
 * delivers late never runs it. An event without one (invoked by hand, or by a consumer of v0.1.0) starts the
 * task under the rules that release had.
 */
export interface WorkerEvent {
  task: Task;
  token?: string;
  /**
   * The concurrency slot the consumer took for this dispatch, held for the task: the worker holds it for the
   * run with one write instead of reading every slot of the job to find it. Only a hint: a slot taken over
   * since (its lease ended) is refused by the write, and the worker looks for another.
   */
  slot?: number;
}

/** A fresh dispatch token: 96 random bits, 16 URL-safe characters. */
export function newDispatchToken(): string {
  return randomBytes(12).toString("base64url");
}

/**
 * The worker's event for a task: its message with the token. A v0.1.0 worker refuses it (its schema is strict)
 * and Lambda retries the event on the new code (ADR 0015, deploy overlap).
 */
export function encodeWorkerEvent(task: Task, token?: string, slot?: number): string {
  return sqsSafeJson({
    ...task,
    ...(token === undefined ? {} : { token }),
    ...(slot === undefined ? {} : { slot }),
  });
}

/** Validates an untrusted worker event (or a failed-task record's `requestPayload`). */
export function parseWorkerEvent(input: unknown, what = "worker event"): WorkerEvent {
  const { token: t, slot: s, ...task } = parseWith(workerEventSchema, input, what);
  return {
    task: task as Task,
    ...(t === undefined ? {} : { token: t }),
    ...(s === undefined ? {} : { slot: s }),
  };
}

/** UTF-8 bytes a name or payload takes inside an encoded task (quotes included). */
export function encodedValueBytes(value: unknown): number {
  return utf8Bytes(sqsSafeJson(value));
}

/** Validates an untrusted task (a message body string or a worker event object). */
export function parseTask(input: unknown, what = "task"): Task {
  return parseWith(taskSchema, input, what) as Task;
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new ValidationError(what, [{ path: "", reason: "body is not valid JSON" }], { cause: error });
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(what, toIssues(parsed.error));
  return parsed.data;
}
