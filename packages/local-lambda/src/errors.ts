/**
 * Errors the service answers with, shaped as Lambda's restJson1 protocol sends them: an HTTP status, an
 * `x-amzn-ErrorType` header naming the error, and a JSON body `{"Type":"User","message":...}` (plus any
 * modelled members such as `Reason`). The AWS SDK maps the header to its modelled exception class.
 */
export class LambdaApiError extends Error {
  override name = "LambdaApiError";
  readonly statusCode: number;
  readonly errorType: string;
  readonly type: "User" | "Service";
  readonly extraBody: Record<string, string>;
  readonly extraHeaders: Record<string, string>;

  constructor(
    statusCode: number,
    errorType: string,
    message: string,
    extra: {
      body?: Record<string, string>;
      headers?: Record<string, string>;
      type?: "User" | "Service";
    } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.statusCode = statusCode;
    this.errorType = errorType;
    this.type = extra.type ?? "User";
    this.extraBody = extra.body ?? {};
    this.extraHeaders = extra.headers ?? {};
  }

  /** The response body, member names as Lambda spells them. */
  body(): string {
    return JSON.stringify({ Type: this.type, message: this.message, ...this.extraBody });
  }
}

export class ResourceNotFoundError extends LambdaApiError {
  override name = "ResourceNotFoundError";
  constructor(functionArn: string, options?: ErrorOptions) {
    super(404, "ResourceNotFoundException", `Function not found: ${functionArn}`, {}, options);
  }
}

/**
 * 413. Lambda itself answers `RequestEntityTooLargeException` (observed on the wire through 2025, with the
 * size in the message for Event calls), not the SDK-modelled `RequestTooLargeException`; we send what Lambda
 * sends, so code that handles it here handles it on AWS.
 */
export class RequestTooLargeError extends LambdaApiError {
  override name = "RequestTooLargeError";
  constructor(message: string, options?: ErrorOptions) {
    super(413, "RequestEntityTooLargeException", message, {}, options);
  }
}

export class InvalidRequestContentError extends LambdaApiError {
  override name = "InvalidRequestContentError";
  constructor(message: string, options?: ErrorOptions) {
    super(400, "InvalidRequestContentException", message, {}, options);
  }
}

export class InvalidParameterValueError extends LambdaApiError {
  override name = "InvalidParameterValueError";
  constructor(message: string, options?: ErrorOptions) {
    super(400, "InvalidParameterValueException", message, {}, options);
  }
}

export type ThrottleReason =
  | "ReservedFunctionConcurrentInvocationLimitExceeded"
  | "ConcurrentInvocationLimitExceeded"
  | "CallerRateLimitExceeded";

export class TooManyRequestsError extends LambdaApiError {
  override name = "TooManyRequestsError";
  readonly reason: ThrottleReason;
  constructor(reason: ThrottleReason, options?: ErrorOptions) {
    super(
      429,
      "TooManyRequestsException",
      "Rate Exceeded.",
      { body: { Reason: reason }, headers: { "Retry-After": "1" } },
      options,
    );
    this.reason = reason;
  }
}

export class UnknownOperationError extends LambdaApiError {
  override name = "UnknownOperationError";
  constructor(method: string, path: string, options?: ErrorOptions) {
    super(404, "UnknownOperationException", `Unknown operation: ${method} ${path}`, {}, options);
  }
}

/** A `FunctionSpec` or option outside what Lambda accepts; thrown by `startLocalLambda` and `configure`. */
export class InvalidFunctionSpecError extends Error {
  override name = "InvalidFunctionSpecError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** `configure`/`setFaults` named a function the service does not have. */
export class UnknownFunctionError extends Error {
  override name = "UnknownFunctionError";
  constructor(name: string, options?: ErrorOptions) {
    super(`No function named "${name}" is configured`, options);
  }
}
