/**
 * Task states. A task moves CLAIMED → DISPATCHED → RUNNING → SUCCEEDED | FAILED; REQUEUED after a redrive;
 * CANCELLED when its job was cancelled (or failed its threshold) before the task ran.
 */
export const TaskStatus = {
  Claimed: "CLAIMED",
  Dispatched: "DISPATCHED",
  Running: "RUNNING",
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  Requeued: "REQUEUED",
  Cancelled: "CANCELLED",
  /** Not stored: a message or event of an older incarnation of a reused jobId meets a newer record. */
  Superseded: "SUPERSEDED",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const taskKey = (taskId: string) => ({ pk: { S: `TASK#${taskId}` } });
