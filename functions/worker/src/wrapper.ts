import { randomUUID } from "node:crypto";
import {
  type FunctionMetrics,
  type LambdaContext,
  type Logger,
  parseWorkerEvent,
  payloadOf,
  resetRequestCounts,
  taskIdOf,
  usage,
  utf8Bytes,
} from "@fanout/core";
import {
  acquireSlot,
  closeCancelledTask,
  closeTask,
  countRunning,
  type DedupStore,
  finishRun,
  holdSlot,
  type JobInfo,
  type JobNotice,
  type RunOutcome,
  type RunRef,
  releaseSlot,
  resettle,
  type SlotJob,
  slotJobOf,
  startRun,
} from "@fanout/dedup";
import { announce, type NoticeDeps } from "@fanout/notices";
import pRetry from "p-retry";
import type { z } from "zod";
import {
  InvalidTaskPayloadError,
  NoSlotError,
  OutcomeNotRecordedError,
  ResultNotJsonError,
  ResultTooLargeError,
  TaskBusyError,
  TaskTimeoutError,
} from "./errors.ts";
import { jobCache } from "./job-cache.ts";

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
  /** The SNS topic for the job's `job.finished` notice; without it the notice is only recorded. */
  notices?: Pick<NoticeDeps, "sns" | "topicArn">;
  /**
   * TasksSucceeded, TasksFailedRetryPending, TasksFailedFinal, TaskDuration and EnqueueToStartLag, written at
   * the end of every invocation (and before `exit`). Optional: without it nothing is counted.
   */
  metrics?: FunctionMetrics<"worker">;
}

export type WorkerResult =
  | { taskId: string; status: "SUCCEEDED"; result?: unknown }
  | { taskId: string; status: "duplicate" | "cancelled" };

/**
 * Wraps a task handler with fanout's execution guarantees (G3, G8): read the job record (is it cancelled,
 * capped?), check the payload, take a concurrency slot if the job has a cap, take the RUNNING lease (one
 * conditional write), run the handler, record SUCCEEDED with its result or FAILED with the error, settle the
 * job's counters (which may finish the job and publish its notice), and rethrow on failure so Lambda's async
 * retries and on-failure destination apply. A duplicate event for a task that already succeeded does not run
 * it again; a task of a cancelled job that has not started never does.
 *
 * @example
 * export const handler = makeWorker(async (task, { logger }) => logger.info(task.taskId), deps);
 */
export function makeWorker<T = unknown>(taskHandler: TaskHandler<T>, deps: WorkerDeps<T>) {
  const reserveMs = deps.outcomeReserveMs ?? 5_000;
  const graceMs = deps.abortGraceMs ?? 1_000;
  const resultMaxBytes = deps.resultMaxBytes ?? 65_536;
  const exit = deps.exit ?? (() => process.exit(1));
  const noticeDeps: NoticeDeps = { store: deps.store, logger: deps.logger, ...deps.notices };
  const publish = async (notice: JobNotice | undefined) => {
    if (notice) await announce(noticeDeps, notice);
  };
  const jobOf = jobCache(deps.store, deps.jobCacheMs ?? 5_000);
  return async function worker(event: unknown, context: LambdaContext): Promise<WorkerResult> {
    resetRequestCounts();
    const { task, token, slot: dispatchSlot } = parseWorkerEvent(event);
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
        ...(token === undefined ? {} : { token }),
      };
      // A consistent read at most `jobCacheMs` old: a cancel written that long before this event was
      // dispatched is seen here (G8).
      const jobRecord = await jobOf(task.jobId, task.epoch);
      // A record of another incarnation is no guide to this task (startRun refuses a superseded event).
      const job = jobRecord?.epoch === task.epoch ? jobRecord : undefined;
      if (job?.cancelledAt !== undefined) return await skipCancelled(run, job, taskId);
      const parsed = deps.schema?.safeParse(payloadOf(task));
      if (parsed && !parsed.success) {
        const error = new InvalidTaskPayloadError(
          parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; "),
        );
        const closed = await closeTask(
          deps.store,
          run,
          { status: "FAILED", error: { type: error.name, message: error.message } },
          job,
        );
        if (closed.closed) {
          deps.metrics?.count("TasksFailedFinal");
          await publish(closed.notice);
        }
        deps.logger.error("task payload refused by the handler's schema; not run", { error: error.message });
        // Thrown so that the event, with its payload, reaches the failed-task queue for a redrive after a fix.
        throw error;
      }
      const payload = (parsed ? parsed.data : payloadOf(task)) as T;
      const slotJob = slotJobOf(job);
      // The task's slot (taken by the consumer for this dispatch, or kept for this retry), held for the run.
      const slot = slotJob ? await takeSlot(slotJob, taskId, context, dispatchSlot) : undefined;
      /** What happens to the slot when the run ends: freed, kept for Lambda's retry, or left to its lease. */
      let slotAfter: "release" | { keepSeconds: number } | "lease" = "release";
      /** The handler's run time, kept on the slot at release: the consumer paces held-back tasks by it. */
      let runMs: number | undefined;
      let slotSettled = false;
      /** Frees, keeps or leaves the slot, once; before the outcome's log line, whose request counts include it. */
      const settleSlot = async () => {
        if (slotSettled || !slotJob || slot === undefined || slotAfter === "lease") return;
        slotSettled = true;
        const after = slotAfter;
        await (after === "release"
          ? releaseSlot(deps.store, slotJob, slot, taskId, runMs)
          : holdSlot(deps.store, slotJob, slot, taskId, after.keepSeconds)
        ).catch((error: unknown) =>
          deps.logger.warn("could not release the concurrency slot; it frees when its lease ends", {
            error: String(error),
          }),
        );
      };
      // If this throws, whether a run started is unknown: the slot's lease (as long as a run's) frees it.
      const start = await startRun(deps.store, run, deps.leaseSeconds);
      // A live run of this task elsewhere holds the same slot (slots are held per task): leave it. A stale
      // event's task was claimed again, and the newer claim's dispatch holds the slot: leave it too.
      if (start.outcome === "busy" || start.outcome === "stale") slotAfter = "lease";
      if (start.outcome !== "started") await settleSlot();
      if (start.outcome === "done") {
        // Re-apply the idempotent settling write, in case an earlier run stopped right before it.
        await publish((await resettle(deps.store, run, "SUCCEEDED", job)).notice);
        deps.logger.info("duplicate event for a task that already succeeded; not run again", {
          ...usage(),
        });
        return { taskId, status: "duplicate" };
      }
      if (start.outcome === "cancelled") {
        await publish((await resettle(deps.store, run, "CANCELLED", job)).notice);
        deps.logger.info("event for a task that was cancelled; not run", usage());
        return { taskId, status: "cancelled" };
      }
      if (start.outcome === "requeued") {
        deps.logger.info("the task was handed back to the queue; its message dispatches it, not this event", {
          ...usage(),
        });
        return { taskId, status: "duplicate" };
      }
      if (start.outcome === "stale") {
        deps.logger.info("event of an earlier claim of this task; the task's latest claim dispatches it", {
          ...usage(),
        });
        return { taskId, status: "duplicate" };
      }
      if (start.outcome === "superseded") {
        deps.logger.info("event of an older incarnation of this jobId; not run", {
          ...usage(),
        });
        return { taskId, status: "duplicate" };
      }
      if (start.outcome === "busy") {
        deps.logger.warn("task is RUNNING in another invocation; failing this one so Lambda retries it", {
          leaseUntil: start.leaseUntil,
          ...usage(),
        });
        throw new TaskBusyError(start.leaseUntil);
      }
      try {
        // For status only (the shard's running set); a failure here changes no outcome.
        await countRunning(deps.store, run, job).catch((error: unknown) =>
          deps.logger.warn("could not count the task as running", { error: String(error) }),
        );
        if (start.attempt === 1 && task.epoch > 0) {
          // The epoch is the job record's creation time, set just before the job's messages are sent.
          deps.metrics?.sample("EnqueueToStartLag", Math.max(0, deps.store.now() - task.epoch));
        }
        const deadlineMs = context.getRemainingTimeInMillis() - reserveMs;
        // Date, not performance: the fault explorer's virtual clock fakes Date, and the run time reaches the
        // consumer's pacing through the slot, so a schedule must replay it exactly.
        const handlerStarted = Date.now();
        const workerTask: WorkerTask<T> = {
          jobId: task.jobId,
          index: task.index,
          taskId,
          epoch: task.epoch,
          payload,
          seed: task.v === 1,
        };
        const outcome = await runWithDeadline(
          (signal) =>
            taskHandler(workerTask, { logger: deps.logger, lambda: context, attempt: start.attempt, signal }),
          deadlineMs,
          graceMs,
          resultMaxBytes,
        );
        const handlerMs = Math.max(0, Date.now() - handlerStarted);
        runMs = handlerMs;
        if (outcome.status === "FAILED") {
          const e = outcome.error;
          const final = !lambdaWillRetry(deps, start, context);
          // Lambda's retry (about 1 minute per attempt so far) finds the slot kept for it, not taken: kept while
          // Lambda has retries left, even when the failure is judged final by the event's age (unsure, the worker
          // says final, and a retry that comes anyway must not spend itself waiting for a slot). A handler that
          // overran its deadline still holds it until its lease ends (its process is ended below).
          if (!final || retriesLeft(deps, start))
            slotAfter = { keepSeconds: 60 * start.eventAttempt + 30 + deps.leaseSeconds };
          if (outcome.stillRunning) slotAfter = "lease";
          const finished = await record(
            deps,
            run,
            { status: "FAILED", error: { type: e.name, message: e.message }, final },
            context,
            job,
          ).catch((recordError: unknown) => {
            deps.logger.error("could not record FAILED", { error: String(recordError) });
            return undefined;
          });
          await publish(finished?.notice);
          await settleSlot();
          deps.logger.error("task failed", {
            attempt: start.attempt,
            eventAttempt: start.eventAttempt,
            final,
            error: { type: e.name, message: e.message },
            ...usage(),
          });
          deps.metrics?.sample("TaskDuration", handlerMs, "failed");
          deps.metrics?.count(final ? "TasksFailedFinal" : "TasksFailedRetryPending");
          if (outcome.stillRunning) {
            // The handler ignored its signal: end the process, or it would run on beside Lambda's retry.
            // Its slot stays held until its lease ends, by which time the process is gone.
            deps.logger.error("handler did not stop after its deadline; ending the process");
            deps.metrics?.flush();
            exit();
          }
          throw e;
        }
        const finished = await record(
          deps,
          run,
          { status: "SUCCEEDED", ...(outcome.json === undefined ? {} : { result: outcome.json }) },
          context,
          job,
        );
        await publish(finished.notice);
        // After the write: a run whose SUCCEEDED was never recorded is a Lambda error, not a success.
        deps.metrics?.sample("TaskDuration", handlerMs, "succeeded");
        deps.metrics?.count("TasksSucceeded");
        await settleSlot();
        deps.logger.info("task succeeded", { attempt: start.attempt, ...usage() });
        return outcome.json === undefined
          ? { taskId, status: "SUCCEEDED" }
          : { taskId, status: "SUCCEEDED", result: outcome.result };
      } finally {
        await settleSlot();
      }
    } finally {
      deps.metrics?.flush();
      deps.logger.removeKeys(["jobId", "taskId"]);
    }
  };

  /** The job is cancelled (or failed its threshold): close the task unless it already ran or runs. */
  async function skipCancelled(run: RunRef, job: JobInfo, taskId: string): Promise<WorkerResult> {
    const closed = await closeCancelledTask(deps.store, run, job);
    if (closed.outcome === "closed") {
      deps.metrics?.count("TasksCancelledUnstarted");
      await publish(closed.notice);
      deps.logger.info("task of a cancelled job; closed without running", usage());
      return { taskId, status: "cancelled" };
    }
    // Running in another invocation (or a run that died, until its lease ends): fail, so that Lambda retries
    // this event and closes the task then, unless the run finished it. Never end this event while the task
    // is not final: nothing else might come back to it.
    if (closed.outcome === "running") {
      deps.logger.info("task of a cancelled job is running; retrying after its lease", {
        leaseUntil: closed.leaseUntil,
      });
      throw new TaskBusyError(closed.leaseUntil);
    }
    await publish(closed.notice);
    deps.logger.info("task of a cancelled job is not startable; not run", { status: closed.status });
    return { taskId, status: closed.status === "CANCELLED" ? "cancelled" : "duplicate" };
  }

  /**
   * Takes the task's concurrency slot for the run: the one the consumer took for this dispatch (or a failed
   * run kept for this retry), else a free one; waits for one up to `slotWaitMs`, then fails so that Lambda
   * retries the event (the event stays responsible for the task: it never ends without running it). The
   * event names the slot the consumer took: one write holds it, with no read of the job's slots, unless it was
   * taken over since (its lease ended before the event came).
   */
  async function takeSlot(
    job: SlotJob,
    taskId: string,
    context: LambdaContext,
    dispatchSlot: number | undefined,
  ): Promise<number> {
    if (
      dispatchSlot !== undefined &&
      dispatchSlot < job.maxConcurrency &&
      (await holdSlot(deps.store, job, dispatchSlot, taskId, deps.leaseSeconds, true))
    )
      return dispatchSlot;
    const waitUntil =
      Date.now() + Math.min(deps.slotWaitMs ?? 20_000, context.getRemainingTimeInMillis() / 4);
    for (let wait = 200; ; wait = Math.min(wait * 2, 2_000)) {
      const slot = await acquireSlot(deps.store, job, taskId, deps.leaseSeconds);
      if (slot !== undefined) return slot;
      if (Date.now() + wait > waitUntil) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    deps.metrics?.count("SlotWaitsExceeded");
    deps.logger.warn("every concurrency slot of the job is held; failing so that Lambda retries the event", {
      maxConcurrency: job.maxConcurrency,
      ...usage(),
    });
    throw new NoSlotError(job.maxConcurrency);
  }
}

/** Whether Lambda has retries of this event left, whatever its age (`lambdaWillRetry` adds the age). */
function retriesLeft<T>(deps: WorkerDeps<T>, start: { eventAttempt: number }): boolean {
  return start.eventAttempt <= (deps.asyncRetries?.maximumRetryAttempts ?? 2);
}

/**
 * Whether Lambda will deliver this event again after this failure: retries left, and the next retry (about
 * 1 minute after the first failure, 2 after the second) still inside the maximum event age, counted from the
 * dispatch. When unsure, say no: a retry that comes anyway moves the task to succeeded, while a "pending" that
 * never comes would hold the job open for ever.
 */
function lambdaWillRetry<T>(
  deps: WorkerDeps<T>,
  start: { eventAttempt: number; dispatchedAt: number | undefined },
  context: LambdaContext,
): boolean {
  const { maximumEventAgeSeconds } = deps.asyncRetries ?? { maximumEventAgeSeconds: 21_600 };
  if (!retriesLeft(deps, start)) return false;
  // Not dispatched by a consumer (yet): invoked by hand, perhaps synchronously, which Lambda never retries.
  if (start.dispatchedAt === undefined) return false;
  const nextTry = Date.now() + context.getRemainingTimeInMillis() + 60_000 * start.eventAttempt;
  return nextTry < start.dispatchedAt + maximumEventAgeSeconds * 1000;
}

/**
 * Writes the outcome (and its counter), retrying through DynamoDB faults until shortly before Lambda's
 * timeout. A refused write (the lease was lost) is logged, not retried.
 */
async function record<T>(
  deps: WorkerDeps<T>,
  run: RunRef,
  outcome: RunOutcome,
  context: LambdaContext,
  job: JobInfo | undefined,
): Promise<{ notice?: JobNotice }> {
  try {
    const finished = await pRetry(() => finishRun(deps.store, run, outcome, job), {
      retries: 20,
      minTimeout: 100,
      maxTimeout: 1_000,
      factor: 2,
      shouldRetry: () => context.getRemainingTimeInMillis() > 1_500,
    });
    if (!finished.recorded) deps.logger.warn(`RUNNING lease was lost before ${outcome.status} was recorded`);
    return finished;
  } catch (error) {
    throw new OutcomeNotRecordedError(outcome.status, { cause: error });
  }
}

type HandlerOutcome =
  /** `json`: the result as stored (undefined when the handler returned nothing). */
  | { status: "SUCCEEDED"; result: unknown; json: string | undefined }
  | { status: "FAILED"; error: Error; stillRunning: boolean };

/** The result as JSON text within the limit, or the error that fails the task instead (never a silent cut). */
function serialise(result: unknown, maxBytes: number): HandlerOutcome {
  if (result === undefined) return { status: "SUCCEEDED", result, json: undefined };
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    return { status: "FAILED", error: new ResultNotJsonError({ cause: error }), stillRunning: false };
  }
  // Functions and symbols serialise to nothing: store no result, as for undefined.
  if (json === undefined) return { status: "SUCCEEDED", result: undefined, json: undefined };
  const bytes = utf8Bytes(json);
  if (bytes > maxBytes)
    return { status: "FAILED", error: new ResultTooLargeError(bytes, maxBytes), stillRunning: false };
  return { status: "SUCCEEDED", result, json };
}

/**
 * Runs the handler with a signal that aborts at `ms`; a handler that settles within `graceMs` of the abort
 * counts as settled, one that does not is reported `stillRunning`.
 */
async function runWithDeadline(
  work: (signal: AbortSignal) => Promise<unknown>,
  ms: number,
  graceMs: number,
  resultMaxBytes: number,
): Promise<HandlerOutcome> {
  const controller = new AbortController();
  const settled = work(controller.signal).then(
    (result): HandlerOutcome => serialise(result, resultMaxBytes),
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
