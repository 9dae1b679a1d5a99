export { workerDeps } from "./wiring.ts";
export type { TaskContext, TaskHandler, WorkerTask } from "./wrapper.ts";
export { makeWorker } from "./wrapper.ts";
