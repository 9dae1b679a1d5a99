export type { TaskContext, TaskHandler, WorkerTask } from "./types.ts";
export { workerDeps } from "./wiring.ts";
export { makeWorker } from "./wrapper.ts";
