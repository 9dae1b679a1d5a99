import { taskIdOf } from "@fanout/core";
export const jobKey = (jobId: string) => ({ pk: { S: `JOB#${jobId}` } });

/** A task's record (dedup's `taskKey` of `taskIdOf(task)`), read by the finisher to confirm failures. */
export const taskRecordKey = (jobId: string, index: number) => ({
  pk: { S: `TASK#${taskIdOf({ jobId, index })}` },
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
 * Tasks per counter shard. A shard holds at most 128 indexes (a < 1 KB item: one write unit per update), so
 * a job of up to 12,800 tasks reads every shard in one BatchGetItem of <= 100 keys.
 */
export const tasksPerShard = 128;

/**
 * How a job's counters are laid out (ADR 0014), stored on its job record by {@link recordJob} so that every
 * writer of the job agrees. Shards are *interleaved in blocks*: a block of `width * perShard` consecutive
 * indexes is spread over `width` shards (index i goes to shard `block * width + i % width`), so consecutive
 * tasks write different shards (none takes more than 2R/width writes/s at R tasks/s) and a shard still
 * completes once its block is done (a status read of a running job reads the shards of the blocks in flight,
 * not all of them). Shards are grouped `perGroup` to a group item; the groups into the job's progress item.
 */
export interface CounterLayout {
  /** Shards one block of consecutive indexes is spread over. */
  width: number;
  /** Tasks per shard (the last block's shards hold fewer). */
  perShard: number;
  /** Shards per group item. */
  perGroup: number;
}

/** The layout of new jobs; a store may override it (the fault explorer uses tiny shards and groups). */
export const defaultCounterLayout = { maxWidth: 32, perShard: tasksPerShard, perGroup: 100 } as const;
export type CounterLayoutSettings = { maxWidth: number; perShard: number; perGroup: number };

/** The layout a job of `total` tasks is recorded with: no wider than its shard count (a small job). */
export function layoutFor(
  total: number,
  settings: CounterLayoutSettings = defaultCounterLayout,
): CounterLayout {
  const width = Math.min(settings.maxWidth, Math.max(1, Math.ceil(total / settings.perShard)));
  return { width, perShard: settings.perShard, perGroup: settings.perGroup };
}

/**
 * What fixes a job's shards: its total and its layout (ADR 0014), recorded with the job. (The contiguous
 * layout of ADR 0002, kept for records without one, predated the first release, v0.1.0, and is gone.)
 */
export interface Counted {
  total: number;
  layout: CounterLayout;
}

export function shardCount(job: Counted): number {
  const l = job.layout;
  const block = l.width * l.perShard;
  const full = Math.floor(job.total / block);
  return Math.max(1, full * l.width + Math.min(l.width, job.total - full * block));
}

export function shardOf(job: Counted, index: number): number {
  const l = job.layout;
  return Math.floor(index / (l.width * l.perShard)) * l.width + (index % l.width);
}

/** Tasks in shard `shard` of the job (the last block's shards may be short). */
export function shardSize(job: Counted, shard: number): number {
  const l = job.layout;
  const block = l.width * l.perShard;
  const b = Math.floor(shard / l.width);
  const j = shard % l.width;
  const inBlock = Math.min(block, job.total - b * block);
  return j >= inBlock ? 0 : Math.ceil((inBlock - j) / l.width);
}

/** Group items of a job (at least one). */
export function groupCount(job: Counted): number {
  return Math.max(1, Math.ceil(shardCount(job) / job.layout.perGroup));
}

export function groupOf(job: { layout: CounterLayout }, shard: number): number {
  return Math.floor(shard / job.layout.perGroup);
}

/** The shards of group `group`: `from` <= k < `to`. */
export function groupShards(job: Counted, group: number): { from: number; to: number } {
  const from = group * job.layout.perGroup;
  return { from, to: Math.min(shardCount(job), from + job.layout.perGroup) };
}

/**
 * A counter shard of one incarnation (epoch) of a job, `JOB#<id>#E<epoch>#I#<k>`: a reused jobId never reads
 * an old job's counts. (`I`: the interleaved layout; the contiguous one's `S` keys are no longer written.)
 */
export function counterKey(job: { jobId: string; epoch: number }, shard: number) {
  return { pk: { S: `JOB#${job.jobId}#E${job.epoch}#I#${shard}` } };
}

/** A group item: the versioned counts of its complete shards, and their final-failure counts. */
export const groupKey = (jobId: string, epoch: number, group: number) => ({
  pk: { S: `JOB#${jobId}#E${epoch}#G#${group}` },
});

/** What an item of the table is, from its partition key: how capacity is reported per kind (`countCapacity`). */
export type ItemKind = "task" | "job" | "shard" | "group" | "progress" | "slot" | "run-slot" | "other";

export function itemKindOf(pk: string): ItemKind {
  if (pk.startsWith("TASK#")) return "task";
  if (pk.startsWith("RUN#")) return "run-slot";
  if (!pk.startsWith("JOB#")) return "other";
  // jobIds have no "#" (jobLimits.jobIdPattern): whatever follows the id names the job's item.
  const rest = pk.slice(4).split("#").slice(1);
  if (rest.length === 0) return "job";
  if (rest.includes("I")) return "shard";
  if (rest.includes("G")) return "group";
  if (rest.includes("SLOT")) return "slot";
  if (rest.at(-1) === "P") return "progress";
  return "other";
}

/**
 * Global secondary indexes a write of an item of this kind also writes (projection ALL, so the same units):
 * every job record is in `jobs-by-created`; one whose write sets or removes `notifyDue` also changes its entry
 * in `jobs-to-notify` (a finished job's notice is due until it is marked published). A model for the local
 * emulator, which reports table units only; AWS reports the real figure.
 */
export function indexWritesOf(kind: string, updateExpression: string | undefined): number {
  if (kind !== "job") return 0;
  return 1 + (updateExpression?.includes("notifyDue") ? 1 : 0);
}
