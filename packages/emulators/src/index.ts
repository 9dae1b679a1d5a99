export { localCredentials } from "./credentials.ts";
export type { ChangeSink, ItemChange } from "./dynalite-changes.ts";
export { startDynamo } from "./dynamo.ts";
export { awsEnv } from "./env.ts";
export { createFreshQueue, createSubscribedQueue, waitUntil } from "./fresh.ts";
export type { FanoutResources } from "./resources.ts";
export { type LocalStack, startLocalResources } from "./stack.ts";
