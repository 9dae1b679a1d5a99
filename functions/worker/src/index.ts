export type { TaskContext, TaskHandler } from "./wrapper.ts";
export { makeWorker } from "./wrapper.ts";
