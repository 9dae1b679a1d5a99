export { OutcomeNotRecordedError, TaskBusyError, TaskTimeoutError } from "./errors.ts";
export { referenceTaskHandler } from "./task-handler.ts";
export type { TaskContext, TaskHandler, WorkerDeps, WorkerResult } from "./wrapper.ts";
export { makeWorker } from "./wrapper.ts";
