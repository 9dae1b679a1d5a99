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

/** The handler's result is larger than RESULT_MAX_BYTES as JSON: the task fails; nothing is cut. */
export class ResultTooLargeError extends Error {
  readonly bytes: number;
  readonly limit: number;
  constructor(bytes: number, limit: number, options?: ErrorOptions) {
    super(
      `the task's result is ${bytes} bytes as JSON, over the ${limit}-byte limit (RESULT_MAX_BYTES); store large results elsewhere (e.g. S3) and return a reference`,
      options,
    );
    this.name = "ResultTooLargeError";
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The handler's result cannot be written as JSON (a BigInt, a cycle). */
export class ResultNotJsonError extends Error {
  constructor(options?: ErrorOptions) {
    super("the task's result cannot be serialised as JSON", options);
    this.name = "ResultNotJsonError";
  }
}

/** The task's payload failed the handler's schema: the task is FAILED for good without running. */
export class InvalidTaskPayloadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`invalid task payload: ${message}`, options);
    this.name = "InvalidTaskPayloadError";
  }
}

/** Every concurrency slot of the job is held and the task could not be sent back to the queue. */
export class NoSlotError extends Error {
  constructor(maxConcurrency: number, options?: ErrorOptions) {
    super(`the job's ${maxConcurrency} concurrency slots are all held; retry later`, options);
    this.name = "NoSlotError";
  }
}
