import { attemptWasAmbiguous, maybeAcceptedMark } from "./ambiguity.ts";

/**
 * An invocation failed. `retryable` says whether trying again later can succeed. `maybeAccepted` is true
 * when no answer came back at all (a timeout, a reset connection): Lambda may have queued the event anyway,
 * so the caller must not treat the task as not handed on.
 */
export class InvokeError extends Error {
  readonly retryable: boolean;
  readonly code: string;
  readonly maybeAccepted: boolean;
  constructor(
    message: string,
    details: { retryable: boolean; code: string; maybeAccepted?: boolean },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "InvokeError";
    this.retryable = details.retryable;
    this.code = details.code;
    this.maybeAccepted = details.maybeAccepted ?? false;
  }
}

/**
 * True when the request, in any of the SDK's attempts, got no HTTP answer (timeout, reset): whether Lambda
 * queued the event is unknown. An attempt answered with any HTTP status, even 5xx, was not accepted.
 */
export function isAmbiguous(error: unknown): boolean {
  // Any earlier attempt of the same request that got no answer counts (marked by the client's middleware).
  if ((error as Record<string, unknown> | null)?.[maybeAcceptedMark] === true) return true;
  return attemptWasAmbiguous(error);
}

/** Error names that mean "not now" rather than "never": throttling, service faults and warm-up states. */
const retryableNames = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "ServiceException",
  "ResourceNotReadyException",
  "ResourceConflictException",
  "EC2ThrottledException",
  "ENILimitReachedException",
  "SubnetIPAddressLimitReachedException",
  "TimeoutError",
  "RequestTimeout",
]);

/**
 * Classifies an invoke failure: throttling (429) and server faults (5xx) are retryable, as are
 * network errors; everything else (missing function, access denied, bad payload) is not.
 */
export function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e?.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  if (e?.$retryable) return true;
  if (e?.name && retryableNames.has(e.name)) return true;
  // No HTTP response at all: a connection reset or refused socket.
  return (
    status === undefined && ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(String(e?.code))
  );
}
