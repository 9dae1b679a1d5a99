import { randomUUID } from "node:crypto";
import {
  type FunctionMetrics,
  type LambdaContext,
  type Logger,
  parseTask,
  requestCounts,
  resetRequestCounts,
  type Task,
  taskIdOf,
} from "@fanout/core";
import {
  type DedupStore,
  finishRun,
  type RunOutcome,
  type RunRef,
  recountSucceeded,
  startRun,
} from "@fanout/dedup";
import pRetry from "p-retry";
import { OutcomeNotRecordedError, TaskBusyError, TaskTimeoutError } from "./errors.ts";

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

/** The work itself. Throw to fail the task; the wrapper records the error and Lambda retries. */
export type TaskHandler = (task: Task, context: TaskContext) => Promise<void>;

export interface WorkerDeps {
  store: DedupStore;
  logger: Logger;
  /** RUNNING lease length; must outlast the function timeout. */
  leaseSeconds: number;
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
   * TasksSucceeded, TasksFailedRetryPending, TasksFailedFinal, TaskDuration and EnqueueToStartLag, written at
   * the end of every invocation (and before `exit`). Optional: without it nothing is counted.
   */
  metrics?: FunctionMetrics<"worker">;
}

export type WorkerResult = { taskId: string; status: "SUCCEEDED" | "duplicate" };

/**
 * Wraps a task handler with fanout's execution guarantees (G3): take the RUNNING lease (one
 * conditional write), run the handler, record SUCCEEDED or FAILED with the error, and rethrow on
 * failure so Lambda's async retries and on-failure destination apply. A duplicate event for a task
 * that already succeeded does not run it again.
 *
 * @example
 * export const handler = makeWorker(async (task, { logger }) => logger.info(task.name), deps);
 */
export function makeWorker(taskHandler: TaskHandler, deps: WorkerDeps) {
  const reserveMs = deps.outcomeReserveMs ?? 5_000;
  const graceMs = deps.abortGraceMs ?? 1_000;
  const exit = deps.exit ?? (() => process.exit(1));
  return async function worker(event: unknown, context: LambdaContext): Promise<WorkerResult> {
    resetRequestCounts();
    const task = parseTask(event, "worker event");
    const taskId = taskIdOf(task);
    deps.logger.appendKeys({ jobId: task.jobId, taskId });
    try {
      // Unique per attempt: two deliveries of one event (same request id) must not share a lease.
      const run: RunRef = {
        taskId,
        jobId: task.jobId,
        index: task.index,
        epoch: task.epoch,
        owner: `${context.awsRequestId}/${randomUUID().slice(0, 8)}`,
        eventId: context.awsRequestId,
      };
      const start = await startRun(deps.store, run, deps.leaseSeconds);
      if (start.outcome === "done") {
        // Re-apply the idempotent counter write, in case an earlier run stopped right before it.
        await recountSucceeded(deps.store, run);
        deps.logger.info("duplicate event for a task that already succeeded; not run again", {
          requests: requestCounts(),
        });
        return { taskId, status: "duplicate" };
      }
      if (start.outcome === "superseded") {
        deps.logger.info("event of an older incarnation of this jobId; not run", {
          requests: requestCounts(),
        });
        return { taskId, status: "duplicate" };
      }
      if (start.outcome === "busy") {
        deps.logger.warn("task is RUNNING in another invocation; failing this one so Lambda retries it", {
          leaseUntil: start.leaseUntil,
          requests: requestCounts(),
        });
        throw new TaskBusyError(start.leaseUntil);
      }
      if (start.attempt === 1 && task.epoch > 0) {
        // The epoch is the job record's creation time, set just before the job's messages are sent.
        deps.metrics?.sample("EnqueueToStartLag", Math.max(0, deps.store.now() - task.epoch));
      }
      const deadlineMs = context.getRemainingTimeInMillis() - reserveMs;
      const handlerStarted = performance.now();
      const outcome = await runWithDeadline(
        (signal) =>
          taskHandler(task, { logger: deps.logger, lambda: context, attempt: start.attempt, signal }),
        deadlineMs,
        graceMs,
      );
      const handlerMs = Math.round(performance.now() - handlerStarted);
      if (outcome.status === "FAILED") {
        const e = outcome.error;
        const final = !lambdaWillRetry(deps, start, context);
        await record(
          deps,
          run,
          { status: "FAILED", error: { type: e.name, message: e.message }, final },
          context,
        ).catch((recordError: unknown) =>
          deps.logger.error("could not record FAILED", { error: String(recordError) }),
        );
        deps.logger.error("task failed", {
          attempt: start.attempt,
          eventAttempt: start.eventAttempt,
          final,
          error: { type: e.name, message: e.message },
          requests: requestCounts(),
        });
        deps.metrics?.sample("TaskDuration", handlerMs, "failed");
        deps.metrics?.count(final ? "TasksFailedFinal" : "TasksFailedRetryPending");
        if (outcome.stillRunning) {
          // The handler ignored its signal: end the process, or it would run on beside Lambda's retry.
          deps.logger.error("handler did not stop after its deadline; ending the process");
          deps.metrics?.flush();
          exit();
        }
        throw e;
      }
      await record(deps, run, { status: "SUCCEEDED" }, context);
      // After the write: a run whose SUCCEEDED was never recorded is a Lambda error, not a success.
      deps.metrics?.sample("TaskDuration", handlerMs, "succeeded");
      deps.metrics?.count("TasksSucceeded");
      deps.logger.info("task succeeded", { attempt: start.attempt, requests: requestCounts() });
      return { taskId, status: "SUCCEEDED" };
    } finally {
      deps.metrics?.flush();
      deps.logger.removeKeys(["jobId", "taskId"]);
    }
  };
}

/**
 * Whether Lambda will deliver this event again after this failure: retries left, and the next retry (about
 * 1 minute after the first failure, 2 after the second) still inside the maximum event age, counted from the
 * dispatch. When unsure, say no: a retry that comes anyway moves the task to succeeded, while a "pending" that
 * never comes would hold the job open for ever.
 */
function lambdaWillRetry(
  deps: WorkerDeps,
  start: { eventAttempt: number; dispatchedAt: number | undefined },
  context: LambdaContext,
): boolean {
  const { maximumRetryAttempts, maximumEventAgeSeconds } = deps.asyncRetries ?? {
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 21_600,
  };
  if (start.eventAttempt > maximumRetryAttempts) return false;
  // Not dispatched by a consumer (yet): invoked by hand, perhaps synchronously, which Lambda never retries.
  if (start.dispatchedAt === undefined) return false;
  const nextTry = Date.now() + context.getRemainingTimeInMillis() + 60_000 * start.eventAttempt;
  return nextTry < start.dispatchedAt + maximumEventAgeSeconds * 1000;
}

/**
 * Writes the outcome (and its counter), retrying through DynamoDB faults until shortly before Lambda's
 * timeout. A refused write (the lease was lost) is logged, not retried.
 */
async function record(
  deps: WorkerDeps,
  run: RunRef,
  outcome: RunOutcome,
  context: LambdaContext,
): Promise<void> {
  try {
    const recorded = await pRetry(() => finishRun(deps.store, run, outcome), {
      retries: 20,
      minTimeout: 100,
      maxTimeout: 1_000,
      factor: 2,
      shouldRetry: () => context.getRemainingTimeInMillis() > 1_500,
    });
    if (!recorded) deps.logger.warn(`RUNNING lease was lost before ${outcome.status} was recorded`);
  } catch (error) {
    throw new OutcomeNotRecordedError(outcome.status, { cause: error });
  }
}

type HandlerOutcome = { status: "SUCCEEDED" } | { status: "FAILED"; error: Error; stillRunning: boolean };

/**
 * Runs the handler with a signal that aborts at `ms`; a handler that settles within `graceMs` of the abort
 * counts as settled, one that does not is reported `stillRunning`.
 */
async function runWithDeadline(
  work: (signal: AbortSignal) => Promise<void>,
  ms: number,
  graceMs: number,
): Promise<HandlerOutcome> {
  const controller = new AbortController();
  const settled = work(controller.signal).then(
    (): HandlerOutcome => ({ status: "SUCCEEDED" }),
    (error: unknown): HandlerOutcome => ({
      status: "FAILED",
      error: error instanceof Error ? error : new Error(String(error), { cause: error }),
      stillRunning: false,
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const wait = (delay: number) =>
    new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), Math.max(0, delay));
    });
  try {
    const first = await Promise.race([settled, wait(ms)]);
    if (first !== "late") return first;
    const timeout = new TaskTimeoutError(ms);
    controller.abort(timeout);
    const second = await Promise.race([settled, wait(graceMs)]);
    if (second !== "late") return second.status === "SUCCEEDED" ? second : { ...second, error: timeout };
    return { status: "FAILED", error: timeout, stillRunning: true };
  } finally {
    clearTimeout(timer);
  }
}
