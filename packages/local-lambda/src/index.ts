export { buildInvocationRecord, type InvocationRecord } from "./destinations.ts";
export {
  InvalidFunctionSpecError,
  InvalidParameterValueError,
  InvalidRequestContentError,
  LambdaApiError,
  RequestTooLargeError,
  ResourceNotFoundError,
  TooManyRequestsError,
  UnknownFunctionError,
} from "./errors.ts";
export { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT } from "./invoke-api.ts";
export type { LogRecord } from "./logs.ts";
export { type LocalLambda, startLocalLambda } from "./service.ts";
export type {
  AsyncConfig,
  Credentials,
  Faults,
  FunctionErrorBody,
  FunctionSpec,
  FunctionStats,
  LocalLambdaOptions,
  OutputSink,
} from "./types.ts";
