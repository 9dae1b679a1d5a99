export { type FilterPattern, matchesPattern, parseFilterPattern } from "./event-filter.ts";
export type { LogRecord } from "./logs.ts";
export { type LocalLambda, startLocalLambda } from "./service.ts";
export type { StreamRecord } from "./stream-mapping.ts";
export { firstFailed, streamRecordOf, streamShardOf } from "./stream-mapping.ts";
export type { FunctionSpec, FunctionStats, OutputSink } from "./types.ts";
