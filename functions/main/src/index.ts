export { mainHandler } from "./main-handler.ts";
export type { SubmitDeps, SubmitResult } from "./submit.ts";
export { EnqueueError, submitJob } from "./submit.ts";
