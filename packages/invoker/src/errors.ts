/** An invocation was not accepted. `retryable` says whether trying again later can succeed. */
export class InvokeError extends Error {
  readonly retryable: boolean;
  readonly code: string;
  constructor(message: string, details: { retryable: boolean; code: string }, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvokeError";
    this.retryable = details.retryable;
    this.code = details.code;
  }
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
