/** Raised when a job's status is asked for a job that has no record. */
export class JobNotFoundError extends Error {
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${jobId} not found`, options);
    this.name = "JobNotFoundError";
    this.jobId = jobId;
  }
}

/** A `--after` cursor that no listing produced. */
export class InvalidCursorError extends Error {
  constructor(cursor: string, options?: ErrorOptions) {
    super(`"${cursor.slice(0, 40)}" is not a cursor printed by a jobs listing`, options);
    this.name = "InvalidCursorError";
  }
}
