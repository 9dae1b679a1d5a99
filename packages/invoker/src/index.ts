export type { LambdaClient } from "@aws-sdk/client-lambda";
export { createLambdaClient } from "./client.ts";
export { InvokeError, isAmbiguous, isRetryable } from "./errors.ts";
export { invokeAsync } from "./invoke.ts";
