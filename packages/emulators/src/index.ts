export { defaultRegion, localCredentials } from "./credentials.ts";
export { type StartDynamoOptions, startDynamo } from "./dynamo.ts";
export { type RunningEmulators, type StartEmulatorsOptions, startEmulators } from "./emulators.ts";
export { type AwsEnvOptions, awsEnv } from "./env.ts";
export {
  createFreshQueue,
  type FreshQueue,
  type FreshQueueOptions,
  type WaitUntilOptions,
  waitUntil,
} from "./fresh.ts";
export {
  type CreateResourcesOptions,
  createResources,
  type FanoutResources,
  ttlAttribute,
} from "./resources.ts";
export { type RunningEmulator, type StartSqsOptions, startSqs } from "./sqs.ts";
export { type LocalStack, startLocalResources } from "./stack.ts";
