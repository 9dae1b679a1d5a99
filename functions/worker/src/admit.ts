import { payloadOf, type Task, usage } from "@fanout/core";
import { closeCancelledTask, closeTask, type RunRef } from "@fanout/dedup";
import type { JobInfo } from "@fanout/job-state";
import { InvalidTaskPayloadError, TaskBusyError } from "./errors.ts";
import type { WorkerRuntime } from "./runtime.ts";
import type { WorkerResult } from "./types.ts";

export type Admission<T> =
  /** The task may run: its job's record (undefined for no record of this incarnation) and its checked payload. */
  | { admitted: true; job: JobInfo | undefined; payload: T }
  /** The task is closed without running (its job is cancelled): the invocation's result. */
  | { admitted: false; result: WorkerResult };

/**
 * The first step: may this task run at all? Reads the job record (cancelled? capped?) and checks the payload
 * against the worker's schema. A task of a cancelled job is closed CANCELLED; a refused payload closes the
 * task FAILED for good and throws `InvalidTaskPayloadError`, so that the event reaches the failed-task queue.
 */
export async function admit<T>(rt: WorkerRuntime<T>, task: Task, run: RunRef): Promise<Admission<T>> {
  const { deps } = rt;
  // A consistent read at most `jobCacheMs` old: a cancel written that long before this event was
  // dispatched is seen here (G8).
  const jobRecord = await rt.jobOf(task.jobId, task.epoch);
  // A record of another incarnation is no guide to this task (startRun refuses a superseded event).
  const job = jobRecord?.epoch === task.epoch ? jobRecord : undefined;
  if (job?.cancelledAt !== undefined) return { admitted: false, result: await skipCancelled(rt, run) };
  const parsed = deps.schema?.safeParse(payloadOf(task));
  if (parsed && !parsed.success) {
    const error = new InvalidTaskPayloadError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; "),
    );
    const closed = await closeTask(deps.store, run, {
      status: "FAILED",
      error: { type: error.name, message: error.message },
    });
    if (closed.closed) deps.metrics?.count("TasksFailedFinal");
    deps.logger.error("task payload refused by the handler's schema; not run", { error: error.message });
    // Thrown so that the event, with its payload, reaches the failed-task queue for a redrive after a fix.
    throw error;
  }
  return { admitted: true, job, payload: (parsed ? parsed.data : payloadOf(task)) as T };
}

/** The job is cancelled (or failed its threshold): close the task unless it already ran or runs. */
async function skipCancelled<T>(rt: WorkerRuntime<T>, run: RunRef): Promise<WorkerResult> {
  const { deps } = rt;
  const { taskId } = run;
  const closed = await closeCancelledTask(deps.store, run);
  if (closed.outcome === "closed") {
    deps.metrics?.count("TasksCancelledUnstarted");
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
  deps.logger.info("task of a cancelled job is not startable; not run", { status: closed.status });
  return { taskId, status: closed.status === "CANCELLED" ? "cancelled" : "duplicate" };
}
