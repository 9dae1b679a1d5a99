export type { LogRecord } from "./logs.ts";
export { type LocalLambda, startLocalLambda } from "./service.ts";
export type { FunctionSpec, FunctionStats, OutputSink } from "./types.ts";
