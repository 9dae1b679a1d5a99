import {
  type LambdaContext,
  type Logger,
  parseTask,
  requestCounts,
  resetRequestCounts,
  type Task,
  taskIdOf,
} from "@fanout/core";
import { type DedupStore, finishRun, recountSucceeded, startRun } from "@fanout/dedup";

/** What a task handler gets besides the task. */
export interface TaskContext {
  logger: Logger;
  lambda: LambdaContext;
  /** 1 on the first run of this task, more on Lambda's retries and redrives. */
  attempt: number;
}

/** The work itself. Throw to fail the task; the wrapper records the error and Lambda retries. */
export type TaskHandler = (task: Task, context: TaskContext) => Promise<void>;

export interface WorkerDeps {
  store: DedupStore;
  logger: Logger;
  /** RUNNING lease length; must outlast the function timeout. */
  leaseSeconds: number;
  /** Record FAILED this long before Lambda's timeout would kill the run unrecorded. */
  timeoutMarginMs?: number;
}

export type WorkerResult = { taskId: string; status: "SUCCEEDED" | "duplicate" };

/**
 * Another invocation holds the task's RUNNING lease. Thrown, not returned: if that holder died, only
 * Lambda's retry (or, once retries run out, the on-failure record and a redrive) brings the task back.
 */
export class TaskBusyError extends Error {
  readonly leaseUntil: number;
  constructor(leaseUntil: number) {
    super(
      `task is RUNNING in another invocation until ${new Date(leaseUntil).toISOString()}; retry after that`,
    );
    this.name = "TaskBusyError";
    this.leaseUntil = leaseUntil;
  }
}

/** The task did not finish before the function's timeout. */
export class TaskTimeoutError extends Error {
  constructor(ms: number) {
    super(`task did not finish within ${ms} ms of the function's time budget`);
    this.name = "TaskTimeoutError";
  }
}

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
  return async function worker(event: unknown, context: LambdaContext): Promise<WorkerResult> {
    resetRequestCounts();
    const task = parseTask(event, "worker event");
    const taskId = taskIdOf(task);
    deps.logger.appendKeys({ jobId: task.jobId, taskId });
    try {
      const run = { taskId, jobId: task.jobId, index: task.index, owner: context.awsRequestId };
      const start = await startRun(deps.store, run, deps.leaseSeconds);
      if (start.outcome === "done") {
        // Re-apply the idempotent counter write, in case an earlier run stopped right before it.
        await recountSucceeded(deps.store, run);
        deps.logger.info("duplicate event for a task that already succeeded; not run again", {
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
      try {
        await withDeadline(
          taskHandler(task, { logger: deps.logger, lambda: context, attempt: start.attempt }),
          context.getRemainingTimeInMillis() - (deps.timeoutMarginMs ?? 1_000),
        );
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        await finishRun(deps.store, run, {
          status: "FAILED",
          error: { type: e.name, message: e.message },
        }).catch((recordError: unknown) =>
          deps.logger.error("could not record FAILED", { error: String(recordError) }),
        );
        deps.logger.error("task failed", {
          attempt: start.attempt,
          error: { type: e.name, message: e.message },
          requests: requestCounts(),
        });
        throw e;
      }
      const recorded = await finishRun(deps.store, run, { status: "SUCCEEDED" });
      if (!recorded) deps.logger.warn("RUNNING lease was lost before SUCCEEDED was recorded");
      deps.logger.info("task succeeded", { attempt: start.attempt, requests: requestCounts() });
      return { taskId, status: "SUCCEEDED" };
    } finally {
      deps.logger.removeKeys(["jobId", "taskId"]);
    }
  };
}

async function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TaskTimeoutError(ms)), Math.max(0, ms));
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
