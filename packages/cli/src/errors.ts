/** Exit codes: 0 success, 1 a failure (of the request, the job, or the input's content), 2 a usage error. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, Interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure to report as one line on stderr with exit code 1; `details` are extra lines (e.g. each bad entry). */
export class CliError extends Error {
  readonly details: readonly string[];
  constructor(message: string, options?: ErrorOptions & { details?: readonly string[] }) {
    super(message, options);
    this.name = "CliError";
    this.details = options?.details ?? [];
  }
}

/** The command line itself is wrong (unknown flag, bad value): one line on stderr, exit code 2. */
export class UsageError extends Error {
  /** The command whose `--help` explains the right usage, e.g. `fanout failed list`. */
  readonly command: string | undefined;
  constructor(message: string, command?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
    this.command = command;
  }
}

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
]);

function connectionCode(error: unknown): string | undefined {
  for (
    let e = error as AwsLikeError | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as AwsLikeError, depth++
  ) {
    if (e.code && connectionCodes.has(e.code)) return e.code;
    // AggregateError from happy-eyeballs connection attempts
    const inner = (e as { errors?: AwsLikeError[] }).errors?.find(
      (x) => x.code && connectionCodes.has(x.code),
    );
    if (inner?.code) return inner.code;
  }
  return undefined;
}

/**
 * One clear line for any error: known fanout and AWS errors get a message that says what to do, the rest
 * `Name: message`. Never a stack trace.
 */
export function describeError(error: unknown): string {
  if (error instanceof CliError || error instanceof UsageError) return error.message;
  const e = (error ?? {}) as AwsLikeError;
  const message = oneLine(e.message ?? String(error));
  const code = connectionCode(error);
  if (code) {
    return `cannot reach the AWS endpoint (${code}: ${message}); is the local stack running, or are AWS_ENDPOINT_URL* and the region right?`;
  }
  switch (e.name) {
    case "CredentialsProviderError":
      return `no AWS credentials (${message}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
    case "JobNotFoundError":
    case "ValidationError":
    case "InvalidJobError":
      return message;
    case "ResourceNotFoundException":
      return `not found: ${message} (check --prefix, --settings, the region and the endpoint)`;
    case "AccessDeniedException":
    case "AccessDenied":
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
    case "ExpiredTokenException":
      return `AWS refused the request (${e.name}): ${message}`;
  }
  if (message === "Region is missing")
    return "no AWS region; set AWS_REGION, --region, or aws_region in the settings file";
  return e.name && e.name !== "Error" ? `${e.name}: ${message}` : message;
}

/** Collapses control characters so a message is one line on a terminal. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}
