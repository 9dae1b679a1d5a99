/**
 * What a change of a task record means for its job's counts: its final outcome, a pending retry, or (a
 * redrive's REQUEUED) out of the failed count.
 */
export type FoldStatus = "SUCCEEDED" | "FAILED" | "CANCELLED" | "RETRYING" | "UNCOUNTED";

/** A task record's change as its job's counts see it (read from a stream record's new image). */
export interface TaskChange {
  jobId: string;
  epoch: number;
  index: number;
  status: FoldStatus;
}

/** The changes of one job incarnation in a batch: each task's last status, by index. */
export interface JobChanges {
  jobId: string;
  epoch: number;
  last: Map<number, FoldStatus>;
}

/**
 * Folds a batch of task changes, in stream order, into each job incarnation's last status per task. A task's
 * changes arrive in commit order (a stream keeps each key's records in order), so the last one is the task's
 * state when the batch was read: a final failure redriven within the batch is never counted (ADR 0015).
 */
export function foldChanges(changes: Iterable<TaskChange>): JobChanges[] {
  const jobs = new Map<string, JobChanges>();
  for (const change of changes) {
    const key = `${change.jobId}@${change.epoch}`;
    let job = jobs.get(key);
    if (!job) {
      job = { jobId: change.jobId, epoch: change.epoch, last: new Map() };
      jobs.set(key, job);
    }
    // Delete first: the Map keeps insertion order, and a task's place is its last change's.
    job.last.delete(change.index);
    job.last.set(change.index, change.status);
  }
  return [...jobs.values()];
}

/** The shard's index sets a status adds the task to, and those it takes the task out of (counters.ts). */
export const setsOf: Record<FoldStatus, { add: readonly string[]; remove: readonly string[] }> = {
  SUCCEEDED: { add: ["ok"], remove: ["failed", "retrying", "running"] },
  // `fx`: every index ever counted a final failure here (never taken out; completion.ts reads it).
  FAILED: { add: ["failed", "fx"], remove: ["retrying", "running"] },
  CANCELLED: { add: ["cancelled"], remove: ["failed", "retrying", "running"] },
  RETRYING: { add: ["retrying"], remove: ["failed", "running"] },
  UNCOUNTED: { add: [], remove: ["failed", "retrying"] },
};

/** One shard's changes as set operations: indexes to add to and take out of each set. */
export interface ShardDelta {
  add: Map<string, number[]>;
  remove: Map<string, number[]>;
}

/**
 * The set operations of a shard's tasks' last statuses. DynamoDB refuses one update that both adds to and
 * deletes from a set, so when two tasks need that of one set, the caller writes the removals first, then the
 * additions ({@link splitDelta}): between the two, a task may be in no final set (its job completes later,
 * never early).
 */
export function shardDelta(last: Iterable<[number, FoldStatus]>): ShardDelta {
  const add = new Map<string, number[]>();
  const remove = new Map<string, number[]>();
  const push = (into: Map<string, number[]>, set: string, i: number) => {
    const list = into.get(set);
    if (list) list.push(i);
    else into.set(set, [i]);
  };
  for (const [index, status] of last) {
    for (const set of setsOf[status].add) push(add, set, index);
    for (const set of setsOf[status].remove) push(remove, set, index);
  }
  return { add, remove };
}

/** Whether the delta can be one update (no set both added to and taken from). */
export function oneWrite(delta: ShardDelta): boolean {
  for (const set of delta.add.keys()) if (delta.remove.has(set)) return false;
  return true;
}
