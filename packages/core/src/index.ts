export type { CapacityCounts, ClientOptions, RequestCounts } from "./aws.ts";
export {
  capacityCounts,
  clientOptions,
  countCapacity,
  countRequests,
  requestCounts,
  resetRequestCounts,
  usage,
  usageSince,
} from "./aws.ts";
export type { ConsumerConfig, MainConfig, WorkerConfig } from "./config.ts";
export {
  consumerConfigSchema,
  mainConfigSchema,
  readConfig,
  referenceTaskConfigSchema,
  workerConfigSchema,
} from "./config.ts";
export type { LambdaContext } from "./context.ts";
export type { Continuation } from "./continuation.ts";
export { continuationSchema, isContinuation } from "./continuation.ts";
export type { Issue } from "./errors.ts";
export { InvalidJobError, JobConflictError, PayloadTooLargeError, ValidationError } from "./errors.ts";
export { toIssues } from "./issues.ts";
export type { Job, JobRunOptions } from "./job.ts";
export { parseJob, taskCountOf, taskOf } from "./job.ts";
export { jobLimits, limits, utf8Bytes } from "./limits.ts";
export type { Logger } from "./logger.ts";
export { createLogger } from "./logger.ts";
export type { FunctionMetrics, MetricName } from "./metrics.ts";
export { createMetrics, metricCatalogue } from "./metrics.ts";
export { ranged, ranges } from "./ranges.ts";
export type { SourceJobRequest, SourceLayout, TaskFormat } from "./source-job.ts";
export {
  checkSourceRecord,
  defaultJobId,
  detectFormat,
  isSourceJob,
  parseSourceJob,
  s3UrlPattern,
  sourceContentHash,
  sourceTaskOf,
} from "./source-job.ts";
export { jobIndexes, partitionKey, tableDefinition, tableIndexes } from "./table-schema.ts";
export type { NameTask, PayloadTask, Task } from "./task.ts";
export {
  encodeTask,
  encodeWorkerEvent,
  makePayloadTask,
  makeTask,
  newDispatchToken,
  parseTask,
  parseWorkerEvent,
  payloadOf,
  taskIdOf,
} from "./task.ts";
export { createTracer } from "./tracing.ts";
