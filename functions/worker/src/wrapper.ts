import { randomUUID } from "node:crypto";
import { type LambdaContext, parseWorkerEvent, resetRequestCounts, taskIdOf } from "@fanout/core";
import type { RunRef } from "@fanout/dedup";
import { admit } from "./admit.ts";
import { recordOutcome } from "./record.ts";
import { runHandler } from "./run-handler.ts";
import { workerRuntime } from "./runtime.ts";
import { takeSlot } from "./slot-hold.ts";
import { start } from "./start.ts";
import type { TaskHandler, WorkerDeps, WorkerResult, WorkerTask } from "./types.ts";

export type { TaskContext, TaskHandler, WorkerDeps, WorkerResult, WorkerTask } from "./types.ts";

/**
 * Wraps a task handler with fanout's execution guarantees (G3, G8), in five steps, each in its own module:
 * 1. `admit`: read the job record (is it cancelled, capped?) and check the payload;
 * 2. `takeSlot`: take a concurrency slot if the job has a cap;
 * 3. `start`: take the RUNNING lease (one conditional write);
 * 4. `runHandler`: run the handler before its deadline;
 * 5. `recordOutcome`: record SUCCEEDED with its result or FAILED with the error, settle the job's counters
 *    (its job's counts follow on the table's stream), and rethrow on failure so Lambda's async retries and
 *    on-failure destination apply.
 *
 * A duplicate event for a task that already succeeded does not run it again; a task of a cancelled job that
 * has not started never does.
 *
 * @example
 * export const handler = makeWorker(async (task, { logger }) => logger.info(task.taskId), deps);
 */
export function makeWorker<T = unknown>(taskHandler: TaskHandler<T>, deps: WorkerDeps<T>) {
  const rt = workerRuntime(taskHandler, deps);
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
      const admission = await admit(rt, task, run);
      if (!admission.admitted) return admission.result;
      const { job, payload } = admission;
      // The task's slot (taken by the consumer for this dispatch, or kept for this retry), held for the run.
      const slot = await takeSlot(rt, job, taskId, context, dispatchSlot);
      // If this throws, whether a run started is unknown: the slot is left to its lease (as long as a run's).
      const started = await start(rt, run, slot);
      if (!started.started) return started.result;
      try {
        const workerTask: WorkerTask<T> = {
          jobId: task.jobId,
          index: task.index,
          taskId,
          epoch: task.epoch,
          payload,
          seed: task.v === 1,
        };
        const handled = await runHandler(rt, workerTask, started.run, context);
        return await recordOutcome(rt, run, started.run, handled, context, slot);
      } finally {
        // Whatever the step that threw: the slot of a run that started is freed (or kept), never leaked.
        await slot?.settle();
      }
    } finally {
      deps.metrics?.flush();
      deps.logger.removeKeys(["jobId", "taskId"]);
    }
  };
}
