/** One problem found in untrusted input: where (`path`, and `index` for a job entry) and why. */
export interface Issue {
  /** Index in `names` or `tasks` when the problem is in one entry. */
  index?: number;
  /** Dotted path to the bad value, e.g. `names[3].name`. */
  path: string;
  reason: string;
}

function describe(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path || "(root)"}: ${i.reason}`).join("; ");
}

/** Untrusted input failed its schema. Carries every issue, not just the first. */
export class ValidationError extends Error {
  readonly issues: readonly Issue[];
  constructor(what: string, issues: readonly Issue[], options?: ErrorOptions) {
    super(
      `invalid ${what} (${issues.length} problem${issues.length === 1 ? "" : "s"}): ${describe(issues)}`,
      options,
    );
    this.name = "ValidationError";
    this.issues = issues;
  }
}

/** A job was rejected whole: nothing was enqueued. */
export class InvalidJobError extends ValidationError {
  constructor(issues: readonly Issue[], options?: ErrorOptions) {
    super("job", issues, options);
    this.name = "InvalidJobError";
  }
}

/** The function's environment is missing or has an invalid variable; raised at cold start. */
export class ConfigError extends ValidationError {
  constructor(issues: readonly Issue[], options?: ErrorOptions) {
    super("configuration", issues, options);
    this.name = "ConfigError";
  }
}

/** The same jobId was submitted with different content (G6). */
export class JobConflictError extends Error {
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${jobId} already exists with different content; use a new jobId`, options);
    this.name = "JobConflictError";
    this.jobId = jobId;
  }
}

/** A request would exceed an AWS size limit; it was not sent. */
export class PayloadTooLargeError extends Error {
  readonly bytes: number;
  readonly limit: number;
  constructor(what: string, bytes: number, limit: number, options?: ErrorOptions) {
    super(`${what} is ${bytes} bytes, over the ${limit}-byte limit`, options);
    this.name = "PayloadTooLargeError";
    this.bytes = bytes;
    this.limit = limit;
  }
}
