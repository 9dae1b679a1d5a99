import type { FunctionMetrics, LambdaContext, Logger } from "@fanout/core";
import type { DedupStore } from "@fanout/job-state";
import type { z } from "zod";

/** What a task handler gets besides the task. */
export interface TaskContext {
  logger: Logger;
  lambda: LambdaContext;
  /** 1 on the first run of this task, more on Lambda's retries and redrives. */
  attempt: number;
  /**
   * Aborted when the task's deadline passes. Stop when it aborts: a handler still running
   * `abortGraceMs` later is stopped by ending the process (see {@link WorkerDeps.exit}).
   */
  signal: AbortSignal;
}

/** The task as a handler sees it: its place in the job and its payload, typed by the worker's schema. */
export interface WorkerTask<T> {
  jobId: string;
  index: number;
  taskId: string;
  /** The job's incarnation. */
  epoch: number;
  /** The task's value: `{ name }` for a seed-format task, the `tasks` entry otherwise. */
  payload: T;
  /** True for a task of the seed format (`names: [{"name": ...}]`). */
  seed: boolean;
}

/**
 * The work itself. Return a JSON value to store it as the task's result (at most `resultMaxBytes` as
 * JSON), or nothing. Throw to fail the task; the wrapper records the error and Lambda retries.
 */
export type TaskHandler<T = unknown> = (task: WorkerTask<T>, context: TaskContext) => Promise<unknown>;

export interface WorkerDeps<T = unknown> {
  store: DedupStore;
  logger: Logger;
  /** RUNNING lease length; must outlast the function timeout. Concurrency slots are held as long. */
  leaseSeconds: number;
  /**
   * Checks each task's payload before the RUNNING write: a payload it refuses fails the task for good
   * (InvalidTaskPayloadError), without running the handler. Without it the payload is `unknown` JSON.
   */
  schema?: z.ZodType<T>;
  /** Largest result, in UTF-8 bytes of its JSON; a larger one fails the task (ResultTooLargeError). @default 65536 */
  resultMaxBytes?: number;
  /**
   * Time kept back from the handler to record its outcome (retrying the write through DynamoDB faults):
   * the handler's deadline is this long before Lambda's timeout. @default 5000
   */
  outcomeReserveMs?: number;
  /**
   * Lambda's async settings for the worker, to tell a failure it will retry from a final one.
   * @default { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 }
   */
  asyncRetries?: { maximumRetryAttempts: number; maximumEventAgeSeconds: number };
  /** How long a handler may take to stop once its signal aborted. @default 1000 */
  abortGraceMs?: number;
  /**
   * Ends the process: called when a timed-out handler did not stop, so that it cannot go on beside
   * Lambda's retry in this warm container. @default process.exit(1)
   */
  exit?: () => void;
  /**
   * How long a task of a capped job waits for a concurrency slot before it fails (and Lambda retries it);
   * at most a quarter of the time left. The consumer takes the slot before it invokes the worker, so a
   * wait happens only when the event was delayed past the slot's lease. @default 20000
   */
  slotWaitMs?: number;
  /**
   * How long a container reuses a job record it read (its cancel, options and layout): a cancel is seen by
   * every worker within this time of its write (G8), at one read per job per container per period instead of
   * one per task. @default 5000
   */
  jobCacheMs?: number;
  /**
   * TasksSucceeded, TasksFailedRetryPending, TasksFailedFinal, TaskDuration and EnqueueToStartLag, written at
   * the end of every invocation (and before `exit`). Optional: without it nothing is counted.
   */
  metrics?: FunctionMetrics<"worker">;
}

export type WorkerResult =
  | { taskId: string; status: "SUCCEEDED"; result?: unknown }
  | { taskId: string; status: "duplicate" | "cancelled" };
