/**
 * Another invocation holds the task's RUNNING lease. Thrown, not returned: if that holder died, only
 * Lambda's retry (or, once retries run out, the on-failure record and a redrive) brings the task back.
 */
export class TaskBusyError extends Error {
  readonly leaseUntil: number;
  constructor(leaseUntil: number, options?: ErrorOptions) {
    super(
      `task is RUNNING in another invocation until ${new Date(leaseUntil).toISOString()}; retry after that`,
      options,
    );
    this.name = "TaskBusyError";
    this.leaseUntil = leaseUntil;
  }
}

/** The task did not finish before its deadline (the function's time budget less the outcome reserve). */
export class TaskTimeoutError extends Error {
  readonly ms: number;
  constructor(ms: number, options?: ErrorOptions) {
    super(`task did not finish within ${ms} ms of the function's time budget`, options);
    this.name = "TaskTimeoutError";
    this.ms = ms;
  }
}

/**
 * The handler finished but its outcome could not be written within the outcome reserve. Lambda retries
 * the event; the task's lease keeps the retry out until it ends, and then the task runs again (the one
 * window in which a completed handler can run twice, ADR 0005).
 */
export class OutcomeNotRecordedError extends Error {
  constructor(status: string, options?: ErrorOptions) {
    super(`the handler finished but its ${status} outcome could not be recorded`, options);
    this.name = "OutcomeNotRecordedError";
  }
}
