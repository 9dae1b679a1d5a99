export { consumerHandler } from "./consumer-handler.ts";
export { dispatchMessage } from "./dispatch.ts";
export type { DrainDeps } from "./drain.ts";
export { drain } from "./drain.ts";
export { consumerDeps } from "./wiring.ts";
