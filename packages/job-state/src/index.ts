export type { DeliveredChange, JobNotice } from "./completion.ts";
export {
  countDispatched,
  dueNotices,
  markNotified,
  settleChanges,
  settleOutcome,
  unsettleFailure,
} from "./completion.ts";
export type { Item } from "./condition-failure.ts";
export {
  commitEnqueueStep,
  confirmHandover,
  releaseEnqueueStep,
  renewEnqueueStep,
  restartEnqueue,
  takeEnqueueStep,
} from "./enqueue.ts";
export { InvalidCursorError, JobNotFoundError } from "./errors.ts";
export type { TaskChange } from "./fold.ts";
export type { CancelResult, JobInfo, JobPage, JobState, JobStatus } from "./jobs.ts";
export {
  batchGetAll,
  cancelJob,
  jobStateOf,
  listJobs,
  readJob,
  readJobStatus,
  recordJob,
} from "./jobs.ts";
export { itemKindOf } from "./keys.ts";
export { liveRunSlots, releaseRunSlot, takeRunSlot } from "./run-slots.ts";
export type { SlotJob, SlotsSeen } from "./slots.ts";
export { acquireSlot, holdSlot, readSlots, releaseSlot, slotJobOf, takeSlotOf } from "./slots.ts";
export type { DedupStore } from "./store.ts";
export { createDynamoClient, createStore, expiresAt } from "./store.ts";
export { updateIf } from "./table.ts";
