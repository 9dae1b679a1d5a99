export type { ConsumerHandlerDeps } from "./consumer-handler.ts";
export { consumerHandler } from "./consumer-handler.ts";
export type { DispatchDeps, Verdict } from "./dispatch.ts";
export { dispatchMessage } from "./dispatch.ts";
export type { DrainDeps } from "./drain.ts";
export { drain } from "./drain.ts";
export type { DrainSummary } from "./summary.ts";
export { emptySummary } from "./summary.ts";
