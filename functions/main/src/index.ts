export { EnqueueError } from "./errors.ts";
export { mainHandler } from "./main-handler.ts";
export type { SubmitDeps, SubmitResult } from "./submit.ts";
export { submitJob } from "./submit.ts";
