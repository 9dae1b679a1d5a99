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
export const jobKey = (jobId: string) => ({ pk: { S: `JOB#${jobId}` } });
/** A counter shard of one incarnation (epoch) of a job: a reused jobId never reads an old job's counts. */
export const shardKey = (jobId: string, epoch: number, shard: number) => ({
  pk: { S: epoch === 0 ? `JOB#${jobId}#S#${shard}` : `JOB#${jobId}#E${epoch}#S#${shard}` },
});

/**
 * A job incarnation's progress item: which counter shards are complete, and (for a job with a failure
 * threshold) each shard's final-failure count. Kept apart from the job record, which every worker run reads
 * and must stay one read unit.
 */
export const progressKey = (jobId: string, epoch: number) => ({ pk: { S: `JOB#${jobId}#E${epoch}#P` } });

/** One concurrency slot of a job incarnation with `maxConcurrency` (k < maxConcurrency). */
export const slotKey = (jobId: string, epoch: number, slot: number) => ({
  pk: { S: `JOB#${jobId}#E${epoch}#SLOT#${slot}` },
});

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

/** Tasks in shard `shard` of a job of `total` tasks (the last shard may be short). */
export function shardSize(total: number, shard: number): number {
  return Math.max(0, Math.min(tasksPerShard, total - shard * tasksPerShard));
}
