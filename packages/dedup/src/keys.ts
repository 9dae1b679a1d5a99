/** Task states. A task moves CLAIMED → DISPATCHED → RUNNING → SUCCEEDED | FAILED; REQUEUED after a redrive. */
export const TaskStatus = {
  Claimed: "CLAIMED",
  Dispatched: "DISPATCHED",
  Running: "RUNNING",
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  Requeued: "REQUEUED",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const taskKey = (taskId: string) => ({ pk: { S: `TASK#${taskId}` } });
export const jobKey = (jobId: string) => ({ pk: { S: `JOB#${jobId}` } });
export const shardKey = (jobId: string, shard: number) => ({ pk: { S: `JOB#${jobId}#S#${shard}` } });

/**
 * Tasks per counter shard. A shard is known from the task index alone (no read in the worker), holds
 * at most 128 indexes (a < 1 KB item: one write unit per update, never a hot item), and a job of up
 * to 12,800 tasks reads every shard in one BatchGetItem of <= 100 keys.
 */
export const tasksPerShard = 128;

export function shardCount(total: number): number {
  return Math.max(1, Math.ceil(total / tasksPerShard));
}

export function shardOf(index: number): number {
  return Math.floor(index / tasksPerShard);
}
