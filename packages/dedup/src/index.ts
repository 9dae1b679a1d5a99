export { claimTask, releaseClaim } from "./claims.ts";
export type { JobNotice } from "./completion.ts";
export { dueNotices, markNotified } from "./completion.ts";
export {
  commitEnqueueStep,
  confirmHandover,
  releaseEnqueueStep,
  renewEnqueueStep,
  restartEnqueue,
  takeEnqueueStep,
} from "./enqueue.ts";
export { InvalidCursorError, JobNotFoundError } from "./errors.ts";
export type {
  CancelResult,
  JobInfo,
  JobPage,
  JobState,
  JobStatus,
} from "./jobs.ts";
export { cancelJob, jobStateOf, listJobs, readJob, readJobStatus, recordJob } from "./jobs.ts";
export { itemKindOf, TaskStatus } from "./keys.ts";
export type { FailedEvent, RequeueClause, RequeueState } from "./redrive.ts";
export { requeueClauseOf, requeueTask } from "./redrive.ts";
export { liveRunSlots, releaseRunSlot, takeRunSlot } from "./run-slots.ts";
export type { FinishResult, RunOutcome, RunRef } from "./runs.ts";
export { closeCancelledTask, closeTask, countRunning, finishRun, resettle, startRun } from "./runs.ts";
export type { SlotJob } from "./slots.ts";
export {
  acquireSlot,
  holdSlot,
  readSlots,
  releaseSlot,
  type SlotsSeen,
  slotJobOf,
  takeSlotOf,
} from "./slots.ts";
export type { DedupStore } from "./store.ts";
export { createDynamoClient, createStore } from "./store.ts";
export type { TaskResult } from "./tasks.ts";
export { readResults, readTask } from "./tasks.ts";
