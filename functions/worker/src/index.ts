export { referenceTaskHandler } from "./task-handler.ts";
export type { TaskContext, TaskHandler, WorkerDeps, WorkerResult } from "./wrapper.ts";
export { makeWorker, TaskBusyError, TaskTimeoutError } from "./wrapper.ts";
