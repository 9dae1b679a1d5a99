/** Raised when a job's status is asked for a job that has no record. */
export class JobNotFoundError extends Error {
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${jobId} not found`, options);
    this.name = "JobNotFoundError";
    this.jobId = jobId;
  }
}
