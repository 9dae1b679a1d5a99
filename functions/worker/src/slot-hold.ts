import { type LambdaContext, usage } from "@fanout/core";
import { acquireSlot, holdSlot, type JobInfo, releaseSlot, type SlotJob, slotJobOf } from "@fanout/job-state";
import { NoSlotError } from "./errors.ts";
import type { WorkerRuntime } from "./runtime.ts";
import type { WorkerDeps } from "./types.ts";

/**
 * The task's concurrency slot, held for its run, and what happens to it when the run ends: freed (with the
 * run's time, by which the consumer paces held-back tasks), kept for Lambda's retry, or left to its lease.
 */
export class SlotHold {
  private after: "release" | { keepSeconds: number } | "lease" = "release";
  private settled = false;
  /** The handler's run time, kept on the slot at release. */
  runMs: number | undefined;

  private readonly deps: Pick<WorkerDeps<unknown>, "store" | "logger">;
  private readonly job: SlotJob;
  readonly slot: number;
  private readonly taskId: string;

  constructor(
    deps: Pick<WorkerDeps<unknown>, "store" | "logger">,
    job: SlotJob,
    slot: number,
    taskId: string,
  ) {
    this.deps = deps;
    this.job = job;
    this.slot = slot;
    this.taskId = taskId;
  }

  /** Leave the slot to its lease: another run of the task, or its newer dispatch, holds it. */
  leave(): void {
    this.after = "lease";
  }

  /** Keep the slot this long for Lambda's retry of this event, unless it is left to its lease. */
  keepFor(keepSeconds: number): void {
    if (this.after !== "lease") this.after = { keepSeconds };
  }

  /** Frees, keeps or leaves the slot, once; before the outcome's log line, whose request counts include it. */
  async settle(): Promise<void> {
    if (this.settled || this.after === "lease") return;
    this.settled = true;
    const { store, logger } = this.deps;
    const after = this.after;
    await (after === "release"
      ? releaseSlot(store, this.job, this.slot, this.taskId, this.runMs)
      : holdSlot(store, this.job, this.slot, this.taskId, after.keepSeconds)
    ).catch((error: unknown) =>
      logger.warn("could not release the concurrency slot; it frees when its lease ends", {
        error: String(error),
      }),
    );
  }
}

/**
 * The second step, for a capped job: takes the task's concurrency slot for the run: the one the consumer took
 * for this dispatch (or a failed run kept for this retry), else a free one; waits for one up to `slotWaitMs`,
 * then fails so that Lambda retries the event (the event stays responsible for the task: it never ends without
 * running it). The event names the slot the consumer took: one write holds it, with no read of the job's slots,
 * unless it was taken over since (its lease ended before the event came). Undefined for a job without a cap.
 */
export async function takeSlot<T>(
  rt: WorkerRuntime<T>,
  jobInfo: JobInfo | undefined,
  taskId: string,
  context: LambdaContext,
  dispatchSlot: number | undefined,
): Promise<SlotHold | undefined> {
  const job = slotJobOf(jobInfo);
  if (!job) return undefined;
  const { deps } = rt;
  const hold = (slot: number) => new SlotHold(deps, job, slot, taskId);
  if (
    dispatchSlot !== undefined &&
    dispatchSlot < job.maxConcurrency &&
    (await holdSlot(deps.store, job, dispatchSlot, taskId, deps.leaseSeconds, true))
  )
    return hold(dispatchSlot);
  const waitUntil = Date.now() + Math.min(deps.slotWaitMs ?? 20_000, context.getRemainingTimeInMillis() / 4);
  for (let wait = 200; ; wait = Math.min(wait * 2, 2_000)) {
    const slot = await acquireSlot(deps.store, job, taskId, deps.leaseSeconds);
    if (slot !== undefined) return hold(slot);
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
