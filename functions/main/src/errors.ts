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
