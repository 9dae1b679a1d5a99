import type { SendFailure } from "@fanout/queue";

/**
 * Some tasks could not be enqueued. Resubmitting the same job is safe: dedup dispatches each task once.
 * `cause` is the SQS client's error when a whole request failed.
 */
export class EnqueueError extends Error {
  readonly jobId: string;
  readonly failed: number;
  constructor(jobId: string, failed: number, total: number, detail: string, options?: ErrorOptions) {
    super(
      `${failed} of ${total} tasks of job ${jobId} could not be enqueued (${detail}); resubmit the same job to retry safely`,
      options,
    );
    this.name = "EnqueueError";
    this.jobId = jobId;
    this.failed = failed;
  }
}

/** Throws an {@link EnqueueError} for the entries SQS did not take, naming the first and its cause. */
export function throwIfUnsent(jobId: string, failed: readonly SendFailure[], attempted: number): void {
  if (failed.length === 0) return;
  const cause = failed.find((f) => f.error !== undefined)?.error;
  throw new EnqueueError(
    jobId,
    failed.length,
    attempted,
    `${failed[0]?.code}: ${failed[0]?.message}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Another step of a source job holds its enqueue lease, so this one sent nothing and is not done (ADR 0013).
 * A continuation step throws it so that Lambda retries it: the holder may have died, and the retry takes over
 * once the lease has lapsed (a live holder renews it as its chunks go out). A submission throws it when no
 * retry would replace the holder (another submission, which Lambda does not retry): submit again after it.
 */
export class EnqueueBusyError extends Error {
  readonly jobId: string;
  /** When the holder's lease lapses unless it renews it (epoch ms). */
  readonly leaseUntil: number;
  constructor(jobId: string, leaseUntil: number) {
    super(
      `job ${jobId}: another step is enqueueing its tasks (lease until ${new Date(leaseUntil).toISOString()}); if that step died, a retry after its lease takes over`,
    );
    this.name = "EnqueueBusyError";
    this.jobId = jobId;
    this.leaseUntil = leaseUntil;
  }
}
