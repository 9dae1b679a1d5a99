export { claimTask, releaseClaim } from "./claims.ts";
export type { FailedEvent, RequeueClause, RequeueState } from "./redrive.ts";
export { requeueClauseOf, requeueTask } from "./redrive.ts";
export type { FinishResult, RunOutcome, RunRef } from "./runs.ts";
export { closeCancelledTask, closeTask, finishRun, startRun } from "./runs.ts";
export { taskChangeOf, taskStreamMapping } from "./task-changes.ts";
export { TaskStatus } from "./task-keys.ts";
export type { TaskResult } from "./tasks.ts";
export { readResults, readTask } from "./tasks.ts";
