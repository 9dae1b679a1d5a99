export { createLambdaClient } from "./client.ts";
export { InvokeError, isRetryable } from "./errors.ts";
export { invokeAsync } from "./invoke.ts";
