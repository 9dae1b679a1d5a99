import {
  encodeWorkerEvent,
  type Logger,
  parseTask,
  type Task,
  taskIdOf,
  ValidationError,
} from "@fanout/core";
import { claimTask, closeCancelledTask, releaseClaim } from "@fanout/dedup";
import type { LambdaClient } from "@fanout/invoker";
import { InvokeError, invokeAsync } from "@fanout/invoker";
import {
  type DedupStore,
  type JobInfo,
  type JobNotice,
  readSlots,
  releaseSlot,
  type SlotJob,
  slotJobOf,
  takeSlotOf,
} from "@fanout/job-state";
import type { ReceivedMessage } from "@fanout/queue";
import { type JobView, jobView } from "./job-view.ts";

export interface DispatchDeps {
  lambda: LambdaClient;
  store: DedupStore;
  workerFunctionName: string;
  leaseSeconds: number;
  /** Identifies this consumer run in claims: unique per attempt (`<awsRequestId>/<nonce>`). */
  owner: string;
  /** How long a task whose invoke was throttled waits before it is tried again. @default 10 */
  throttleBackoffSeconds?: number;
  /**
   * How long a task of a job at its maxConcurrency waits in the queue before it is tried again (plus one
   * second per `maxConcurrency` tasks already held back in this run). @default 1
   */
  holdSeconds?: number;
  logger: Logger;
  /** This run's view of the jobs (cancelled? slots all held?); a new one per run. @default a view of this call */
  jobs?: JobView;
  /**
   * Publishes a notice when dropping a cancelled task finished its job (never throws). Without it the
   * notice stays recorded and due, and the next run's sweep publishes it.
   */
  announce?: (notice: JobNotice) => Promise<unknown>;
}

/**
 * How a worker invoke failed (metrics InvokesThrottled and InvokesFailed): still throttled after the SDK's
 * retries, another retryable answer (5xx), no answer at all, or a permanent refusal.
 */
export type InvokeFailure = "throttled" | "retryable" | "unanswered" | "permanent";

/** What to do with the message after handling it. */
export type Verdict =
  /** Handed to the worker: `job` (its record, when this incarnation has one) counts it in flight. */
  | { kind: "dispatched"; delete: true; job?: JobInfo; index: number }
  | { kind: "duplicate" | "cancelled"; delete: true }
  /** The job is at its maxConcurrency: the task goes back to the queue, delayed, not dispatched. */
  | { kind: "held"; delete: false; retryInSeconds: number }
  | { kind: "busy"; delete: false; retryInSeconds: number }
  | { kind: "invalid"; delete: false; retryInSeconds: 0 }
  | { kind: "retried"; delete: false; retryInSeconds: number; invoke?: InvokeFailure }
  | { kind: "failed"; delete: false; retryInSeconds?: number; invoke?: InvokeFailure };

/** Lambda's throttling answers (429). */
const throttleCodes = new Set(["TooManyRequestsException", "ThrottlingException", "EC2ThrottledException"]);

/**
 * Handles one message: validate → claim (one conditional write, which records the dispatch token) → invoke
 * the worker (Event) with the token. Only a "dispatched" or "duplicate" verdict lets the caller delete the
 * message (G1). Nothing is written after the invoke (ADR 0015): until the worker starts the task, the claim's
 * lease keeps a redelivered message waiting, and once it ends, a new claim's token outdates this event.
 */
export async function dispatchMessage(
  message: ReceivedMessage,
  dispatchDeps: DispatchDeps,
): Promise<Verdict> {
  const deps = {
    ...dispatchDeps,
    jobs: dispatchDeps.jobs ?? jobView(dispatchDeps.store),
    announce: dispatchDeps.announce ?? (async () => undefined),
  };
  let task: Task;
  try {
    task = parseTask(message.body, "task message");
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // Never dispatched; made visible at once so it reaches the dead-letter queue in maxReceiveCount receives.
    deps.logger.error("invalid task message", {
      messageId: message.messageId,
      receiveCount: message.receiveCount,
      issues: error.issues,
    });
    return { kind: "invalid", delete: false, retryInSeconds: 0 };
  }
  const taskId = taskIdOf(task);
  const found = await deps.jobs.job(task.jobId);
  // A record of another incarnation says nothing about this task (the claim sorts an old message out).
  const job = found?.epoch === task.epoch ? found : undefined;
  if (job?.cancelledAt !== undefined) {
    // Cancelled (or failed its threshold) before dispatch: close the task, never invoke the worker (G8).
    const ref = { taskId, jobId: task.jobId, index: task.index, epoch: task.epoch };
    const closed = await closeCancelledTask(deps.store, ref);
    if (closed.outcome === "closed") return { kind: "cancelled", delete: true };
    // Running: the message waits for the run's lease; a run that died is closed then.
    if (closed.outcome === "running") {
      const seconds = Math.ceil((closed.leaseUntil - deps.store.now()) / 1000);
      return { kind: "busy", delete: false, retryInSeconds: Math.min(900, Math.max(1, seconds)) };
    }
    return { kind: "duplicate", delete: true };
  }
  const slotJob = slotJobOf(job);
  const hold = (): Verdict => ({
    kind: "held",
    delete: false,
    retryInSeconds: job ? deps.jobs.holdSeconds(job, deps.holdSeconds ?? 1) : (deps.holdSeconds ?? 1),
  });
  const claimed =
    job && slotJob
      ? await deps.jobs.oneAtATime(job, () => claimWithSlot(task, taskId, job, slotJob, deps, hold))
      : await claimOnly(task, taskId, deps);
  if ("verdict" in claimed) return claimed.verdict;
  const slot = claimed.slot;
  try {
    await invokeAsync(deps.lambda, deps.workerFunctionName, encodeWorkerEvent(task, claimed.token, slot));
  } catch (error) {
    if (error instanceof InvokeError && error.maybeAccepted) {
      // No answer (timeout, reset): Lambda may have queued the event. Keep the claim and let the message
      // return only when the lease ends; by then a queued worker has usually started, so the message waits
      // for its run (busy) and is dropped as a duplicate once the task is final, instead of dispatched again.
      deps.logger.warn("worker invoke got no answer; keeping the claim until its lease ends", {
        jobId: task.jobId,
        taskId,
        error: error.message,
      });
      return {
        kind: "retried",
        delete: false,
        retryInSeconds: Math.max(1, deps.leaseSeconds),
        invoke: "unanswered",
      };
    }
    // Lambda answered and did not queue it: give the claim (and the slot) back so the message, when it
    // returns, is dispatched then. A refused release means the claim is no longer ours as CLAIMED: a stale
    // worker event of the task started it meanwhile, and its run now holds the slot (G8 cap).
    const released = await releaseClaim(deps.store, taskId, deps.owner);
    if (released && slotJob && slot !== undefined) await releaseSlot(deps.store, slotJob, slot, taskId);
    const retryable = error instanceof InvokeError && error.retryable;
    deps.logger.warn("worker invoke failed", {
      jobId: task.jobId,
      taskId,
      retryable,
      error: (error as Error).message,
    });
    // Not retryable (a missing function, a denied call): wait for someone to fix the configuration.
    if (!retryable) return { kind: "failed", delete: false, retryInSeconds: 300, invoke: "permanent" };
    // Back off, so a throttled worker is not hammered (the message comes back as a fresh, delayed copy).
    return {
      kind: "retried",
      delete: false,
      retryInSeconds: deps.throttleBackoffSeconds ?? 10,
      invoke: throttleCodes.has((error as InvokeError).code) ? "throttled" : "retryable",
    };
  }
  return { kind: "dispatched", delete: true, index: task.index, ...(job ? { job } : {}) };
}

type Claimed = { verdict: Verdict } | { slot: number | undefined; token: string };
type ResolvedDeps = DispatchDeps & Required<Pick<DispatchDeps, "jobs" | "announce">>;

/** The claim (one conditional write): a duplicate or busy message is settled here. */
async function claimOnly(task: Task, taskId: string, deps: ResolvedDeps): Promise<Claimed> {
  const claim = await claimTask(deps.store, {
    taskId,
    jobId: task.jobId,
    index: task.index,
    epoch: task.epoch,
    owner: deps.owner,
    leaseSeconds: deps.leaseSeconds,
  });
  if (claim.outcome === "duplicate") {
    deps.logger.info("duplicate task message", { jobId: task.jobId, taskId, status: claim.status });
    return { verdict: { kind: "duplicate", delete: true } };
  }
  if (claim.outcome === "busy") {
    // SQS delays a message at most 900 s; a longer run's message just comes back and waits again.
    const seconds = Math.min(900, Math.max(1, Math.ceil((claim.leaseUntil - deps.store.now()) / 1000)));
    return { verdict: { kind: "busy", delete: false, retryInSeconds: seconds } };
  }
  return { slot: undefined, token: claim.token };
}

/**
 * A capped job's task: hold it back with no write while every slot is held (one read of the slots, or none
 * when the run saw them all held a moment ago); else claim it and take a slot for it before the worker is
 * invoked, for as long as the claim (the worker extends it when it starts), so that no more of the job's
 * tasks are dispatched than can run. The run's view of the free slots serves its next tasks of the job too
 * (`JobView.freeSlots`): about one read of the slots per slot that frees, not two per task.
 */
async function claimWithSlot(
  task: Task,
  taskId: string,
  job: JobInfo,
  slotJob: SlotJob,
  deps: ResolvedDeps,
  hold: () => Verdict,
): Promise<Claimed> {
  if (deps.jobs.full(job)) return { verdict: hold() };
  const seen = await deps.jobs.freeSlots(job, () => readSlots(deps.store, slotJob));
  if (seen.free.length === 0) {
    deps.jobs.markFull(job, seen.runMs);
    return { verdict: hold() };
  }
  const claimed = await claimOnly(task, taskId, deps);
  if ("verdict" in claimed) return claimed;
  const slot = await takeSlotOf(deps.store, slotJob, taskId, deps.leaseSeconds, seen.free, 2);
  if (slot === undefined) {
    // Two slots taken since the read: the rest of the view is no better. Read again after the full hold.
    seen.free.length = 0;
    deps.jobs.markFull(job, seen.runMs);
    await releaseClaim(deps.store, taskId, deps.owner);
    return { verdict: hold() };
  }
  return { slot, token: claimed.token };
}
