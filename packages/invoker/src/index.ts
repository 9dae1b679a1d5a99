export type { LambdaClient } from "@aws-sdk/client-lambda";
export { createLambdaClient } from "./client.ts";
export { InvokeError } from "./errors.ts";
export { invokeAsync } from "./invoke.ts";
