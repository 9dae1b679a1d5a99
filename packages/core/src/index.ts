export type { ClientOptions, RequestCounts } from "./aws.ts";
export { clientOptions, countRequests, requestCounts, resetRequestCounts } from "./aws.ts";
export {
  consumerConfigSchema,
  mainConfigSchema,
  readConfig,
  referenceTaskConfigSchema,
  workerConfigSchema,
} from "./config.ts";
export type { LambdaContext } from "./context.ts";
export type { MetricDatum, MetricTotal } from "./emf.ts";
export { emfData, metricSum, metricsTable, sumMetrics } from "./emf.ts";
export type { Issue } from "./errors.ts";
export { InvalidJobError, JobConflictError, PayloadTooLargeError, ValidationError } from "./errors.ts";
export type { Job } from "./job.ts";
export { parseJob } from "./job.ts";
export { jobLimits, limits, utf8Bytes } from "./limits.ts";
export type { Logger } from "./logger.ts";
export { createLogger } from "./logger.ts";
export type { FunctionMetrics, FunctionRole, MetricName, MetricsOptions } from "./metrics.ts";
export { createMetrics, defaultMetricsNamespace, metricCatalogue, metricsNamespaceOf } from "./metrics.ts";
export { sampleNames } from "./samples.ts";
export type { ResourceNames, Settings, SettingsInput } from "./settings.ts";
export { loadSettings, parseSettings, resourceNames, settingsSchema } from "./settings.ts";
export type { Task } from "./task.ts";
export { encodeTask, makeTask, parseTask, taskIdOf } from "./task.ts";
export type { FunctionTracer } from "./tracing.ts";
export { createTracer, tracingEnabled } from "./tracing.ts";
