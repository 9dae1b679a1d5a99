import { usage } from "@fanout/core";
import { type RunRef, startRun } from "@fanout/dedup";
import { TaskBusyError } from "./errors.ts";
import type { WorkerRuntime } from "./runtime.ts";
import type { SlotHold } from "./slot-hold.ts";
import type { WorkerResult } from "./types.ts";

/** A run this invocation holds the RUNNING lease of (`startRun`'s "started"). */
export interface StartedRun {
  /** Runs of the task, this one included. */
  attempt: number;
  /** Runs of this event (1 on its first delivery). */
  eventAttempt: number;
  /** When the consumer dispatched the event, if it recorded it. */
  dispatchedAt: number | undefined;
}

export type Start = { started: true; run: StartedRun } | { started: false; result: WorkerResult };

/**
 * The third step: takes the RUNNING lease (G3). Any other answer ends the invocation without running the
 * task: a duplicate, cancelled, requeued, stale or superseded event returns; one whose task runs elsewhere
 * throws `TaskBusyError`, so that Lambda retries it. The slot is settled first, except when another run of the
 * task (a live one, or the newer dispatch of a stale event) holds it.
 */
export async function start<T>(
  rt: WorkerRuntime<T>,
  run: RunRef,
  slot: SlotHold | undefined,
): Promise<Start> {
  const { deps } = rt;
  const { taskId } = run;
  // If this throws, whether a run started is unknown: the slot's lease (as long as a run's) frees it.
  const start = await startRun(deps.store, run, deps.leaseSeconds);
  if (start.outcome === "started") {
    const epoch = run.epoch ?? 0;
    if (start.attempt === 1 && epoch > 0) {
      // The epoch is the job record's creation time, set just before the job's messages are sent.
      deps.metrics?.sample("EnqueueToStartLag", Math.max(0, deps.store.now() - epoch));
    }
    return { started: true, run: start };
  }
  // A live run of this task elsewhere holds the same slot (slots are held per task): leave it. A stale
  // event's task was claimed again, and the newer claim's dispatch holds the slot: leave it too.
  if (start.outcome === "busy" || start.outcome === "stale") slot?.leave();
  await slot?.settle();
  switch (start.outcome) {
    case "done":
      deps.logger.info("duplicate event for a task that already succeeded; not run again", usage());
      return { started: false, result: { taskId, status: "duplicate" } };
    case "cancelled":
      deps.logger.info("event for a task that was cancelled; not run", usage());
      return { started: false, result: { taskId, status: "cancelled" } };
    case "requeued":
      deps.logger.info(
        "the task was handed back to the queue; its message dispatches it, not this event",
        usage(),
      );
      return { started: false, result: { taskId, status: "duplicate" } };
    case "stale":
      deps.logger.info(
        "event of an earlier claim of this task; the task's latest claim dispatches it",
        usage(),
      );
      return { started: false, result: { taskId, status: "duplicate" } };
    case "superseded":
      deps.logger.info("event of an older incarnation of this jobId; not run", usage());
      return { started: false, result: { taskId, status: "duplicate" } };
    case "busy":
      deps.logger.warn("task is RUNNING in another invocation; failing this one so Lambda retries it", {
        leaseUntil: start.leaseUntil,
        ...usage(),
      });
      throw new TaskBusyError(start.leaseUntil);
  }
}
