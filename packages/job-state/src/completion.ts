import { type AttributeValue, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { jobIndexes } from "@fanout/core";
import type { Item } from "./condition-failure.ts";
import { type CountedStatus, countDelta, countInFlight, countOutcome, uncountFailure } from "./counters.ts";
import { expireCounters } from "./expiry.ts";
import { type FoldStatus, foldChanges, shardDelta, type TaskChange } from "./fold.ts";
import { jobClauses, progressClauses } from "./job-clauses.ts";
import {
  batchGetAll,
  formatCounts,
  type JobInfo,
  type JobState,
  readJob,
  readShardCounts,
  stopFailedJob,
  sumShards,
} from "./jobs.ts";
import {
  counterKey,
  groupCount,
  groupKey,
  groupOf,
  groupShards,
  jobKey,
  progressKey,
  shardOf,
  shardSize,
  taskRecordKey,
} from "./keys.ts";
import { counterExpiry, type DedupStore, expiresAt } from "./store.ts";
import { updateIf } from "./table.ts";

/** The `job.finished` notice: published once per job incarnation when its last task became final (G8). */
export interface JobNotice {
  type: "job.finished";
  jobId: string;
  epoch: number;
  state: Extract<JobState, "succeeded" | "failed" | "cancelled">;
  /** Why the job failed or was cancelled. */
  reason?: string;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  createdAt: string;
  finishedAt: string;
}

/**
 * Counts a task's status in its shard and, when that makes the shard complete or (with a failure
 * threshold) adds a final failure, records it a level up. The write that completes the job finishes it:
 * returns the notice to publish when this call won `finishedAt`. A shard's completion is recorded in its group
 * item and the group's in the job's progress item (ADR 0014).
 *
 * Every step is idempotent (sets, versions, a monotonic maximum, a conditional `finishedAt`), so a retried
 * or duplicate call, or a crash at any await followed by a retry, neither double-counts nor finishes twice.
 */
export async function settleOutcome(
  store: DedupStore,
  job: JobInfo | undefined,
  task: { jobId: string; index: number; epoch: number },
  status: CountedStatus,
): Promise<{ notice?: JobNotice }> {
  // A task of another incarnation, or of no recorded job (a worker invoked by hand): nobody reads its
  // counts (status reads a job's counts through its record), so nothing is written.
  if (!job || job.epoch !== task.epoch) return {};
  const shard = await countOutcome(store, task, status, job);
  const k = shardOf(job, task.index);
  await announceShard(store, job, k, shard);
  return settleGrouped(store, job, k, shard, new Map([[task.index, status]]));
}

/** A task record's change as the table's stream delivered it: `id` is its sequence number. */
export interface DeliveredChange extends TaskChange {
  id: string;
}

/** What settling a batch of changes came to. */
export interface SettledChanges {
  /** Notices this batch won (it finished their jobs): publish each, then `markNotified`. */
  notices: JobNotice[];
  /** Changes whose settling failed, by id, with the error: retry them (and every change after the first). */
  failed: { ids: string[]; error: unknown }[];
}

/**
 * Settles a batch of task changes from the table's stream (ADR 0015, decision 2): folds them into each task's
 * last status ({@link foldChanges}), then per job incarnation and counter shard one set write (two when a set
 * is both added to and taken from), its announcement, and the group, progress and finish writes of
 * {@link settleOutcome}. Shards and jobs settle concurrently; a failed shard fails only its own changes. Every
 * step is idempotent, so a batch retried from any change, after a crash at any await, counts nothing twice.
 */
export async function settleChanges(
  store: DedupStore,
  changes: readonly DeliveredChange[],
): Promise<SettledChanges> {
  const ids = new Map<string, string[]>();
  const taskKey = (job: { jobId: string; epoch: number }, index: number) =>
    `${job.jobId}@${job.epoch}#${index}`;
  for (const change of changes) {
    const key = taskKey(change, change.index);
    ids.set(key, [...(ids.get(key) ?? []), change.id]);
  }
  const out: SettledChanges = { notices: [], failed: [] };
  const fail = (job: { jobId: string; epoch: number }, indexes: Iterable<number>, error: unknown) =>
    out.failed.push({ ids: [...indexes].flatMap((i) => ids.get(taskKey(job, i)) ?? []), error });
  await Promise.all(
    foldChanges(changes).map(async (changed) => {
      let job: JobInfo | undefined;
      try {
        job = await readJob(store, changed.jobId);
      } catch (error) {
        fail(changed, changed.last.keys(), error);
        return;
      }
      // A task of another incarnation, or of no recorded job (a worker invoked by hand): nobody reads its
      // counts (status reads a job's counts through its record), so nothing is written.
      if (!job || job.epoch !== changed.epoch) return;
      const known = job;
      const byShard = Map.groupBy(changed.last, ([index]) => shardOf(known, index));
      await Promise.all(
        [...byShard].map(async ([k, entries]) => {
          try {
            const written = new Map(entries);
            const shard = await countDelta(store, known, k, shardDelta(entries), known);
            await announceShard(store, known, k, shard, [...written.values()].includes("UNCOUNTED"));
            const { notice } = await settleGrouped(store, known, k, shard, written);
            if (notice) out.notices.push(notice);
          } catch (error) {
            fail(changed, indexesOf(entries), error);
          }
        }),
      );
    }),
  );
  return out;
}

const indexesOf = (entries: [number, FoldStatus][]) => entries.map(([index]) => index);

/**
 * Counts tasks the consumer handed to the worker as in flight (status's `running`): one write per counter
 * shard they fall in, then the shard's announcement if this was its first write. For status only: no
 * guarantee reads it, and a lost write leaves those tasks out of `running` until they are final.
 */
export async function countDispatched(
  store: DedupStore,
  job: JobInfo,
  indexes: readonly number[],
): Promise<void> {
  const byShard = Map.groupBy(indexes, (i) => shardOf(job, i));
  await Promise.all(
    [...byShard].map(async ([k, inShard]) =>
      announceShard(store, job, k, await countInFlight(store, job, k, inShard)),
    ),
  );
}

/**
 * Takes a task out of the failed count when a redrive gives it another run. With a layout, a shard that was
 * complete is no longer: its group (and the progress item) learn it, so status reads the shard again.
 */
export async function unsettleFailure(
  store: DedupStore,
  job: JobInfo | undefined,
  task: { jobId: string; index: number; epoch: number },
): Promise<void> {
  if (!job || job.epoch !== task.epoch) return;
  const shard = await uncountFailure(store, task, job);
  const k = shardOf(job, task.index);
  await announceShard(store, job, k, shard, true);
  await settleGrouped(store, job, k, shard, new Map([[task.index, "UNCOUNTED"]]));
}

/**
 * Makes a shard's first writes visible to status: the shard's number into its group's `open` set and, the
 * first time for the group, the group's number into the progress item's `openGroups`; then the shard (and
 * the group) marked `announced`. Each mark follows the write it records; the shard's first write (its `w`
 * is 1) announces, and if that writer died before its mark, the write that completes the shard (or a
 * redrive) announces again. So a shard's counts reach its group (completion) only after it was announced:
 * status reads the open groups' open shards that are not complete and sees every other shard's counts a
 * level up; a shard whose first writer died is missing from status until it completes (ADR 0014).
 */
async function announceShard(
  store: DedupStore,
  job: JobInfo,
  k: number,
  shard: Item,
  force = false,
): Promise<void> {
  // Only these: the concurrent early writes of a shard would otherwise each announce it until the mark lands.
  const first = Number(shard.w?.N ?? 0) <= 1;
  if (shard.announced || !(force || first || finalCount(shard) >= shardSize(job, k))) return;
  const g = groupOf(job, k);
  const expiry = counterExpiry(store, job);
  const add = (key: Item, name: string, n: number) =>
    store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: key,
        UpdateExpression: `ADD #s :n${expiry.set ? ` SET ${expiry.set}` : ""}`,
        ExpressionAttributeNames: { "#s": name },
        ExpressionAttributeValues: { ":n": { NS: [String(n)] }, ...expiry.values },
        ReturnValues: "ALL_NEW",
      }),
    );
  const mark = (key: Item) =>
    store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: key,
        UpdateExpression: "SET announced = :t",
        ExpressionAttributeValues: { ":t": { BOOL: true } },
      }),
    );
  const group = (await add(groupKey(job.jobId, job.epoch, g), "open", k)).Attributes ?? {};
  if (!group.announced) {
    await add(progressKey(job.jobId, job.epoch), "openGroups", g);
    await mark(groupKey(job.jobId, job.epoch, g));
  }
  await mark(counterKey(job, k));
}

/**
 * Two levels (ADR 0014). Each versioned write carries an item's whole summary under the version of the state
 * it saw, written only if newer, so an item keeps the newest state a writer has seen, whatever the order
 * writers arrive in. The group item holds, under shard k's version `v<k>`: `c<k>` ("ok,failed,cancelled",
 * present while the shard is complete) and, with a failure threshold, `f<k>` (the shard's final failures,
 * absent when none). The progress item holds, under group g's version `gv<g>` (the sum of its shards'
 * versions, which grows with every accepted group write): `gc<g>` (the group's counts while it is complete)
 * and `gf<g>` (its final failures). A count under a version can go down: a redrive that takes an index out of
 * `failed` lowers the job's failures in the same writes that reopen the shard. The write that leaves every
 * group complete finishes the job.
 */
async function settleGrouped(
  store: DedupStore,
  job: JobInfo,
  k: number,
  shard: Item,
  written: ReadonlyMap<number, FoldStatus>,
): Promise<{ notice?: JobNotice }> {
  const size = shardSize(job, k);
  const final = finalCount(shard);
  const complete = final >= size;
  const statuses = new Set(written.values());
  // Only a write that takes indexes out of the final sets can leave a complete shard incomplete.
  const reopening = [...written.values()].filter((s) => s === "RETRYING" || s === "UNCOUNTED").length;
  const mayHaveOpened = reopening > 0 && !complete && final >= size - reopening;
  const threshold = hasThreshold(job);
  // A final failure, a redrive taking one back, or a later outcome of a task once counted a final failure
  // (Lambda retried it anyway) changes the job's failures: carry the shard's count up.
  const failures =
    threshold &&
    (statuses.has("FAILED") ||
      statuses.has("UNCOUNTED") ||
      [...written.keys()].some((index) => wasFinalFailure(shard, index)));
  if (!complete && !mayHaveOpened && !failures) return {};
  const g = groupOf(job, k);
  const group = await versionedWrite(
    store,
    job,
    groupKey(job.jobId, job.epoch, g),
    `v${k}`,
    Number(shard.ver?.N ?? 0),
    [
      { name: `c${k}`, value: complete ? { S: formatCounts(shardCounts(shard)) } : undefined },
      ...(threshold ? [{ name: `f${k}`, value: positive((shard.failed?.NS ?? []).length) }] : []),
    ],
  );
  const { from, to } = groupShards(job, g);
  const groupCounts = { succeeded: 0, failed: 0, cancelled: 0 };
  let completeShards = 0;
  for (let j = from; j < to; j++) {
    const c = group[`c${j}`]?.S;
    if (c === undefined) continue;
    completeShards += 1;
    const [ok = 0, failed = 0, cancelled = 0] = c.split(",").map(Number);
    groupCounts.succeeded += ok;
    groupCounts.failed += failed;
    groupCounts.cancelled += cancelled;
  }
  const groupComplete = completeShards >= to - from;
  const groups = groupCount(job);
  const groupFailed = sumOf(group, /^f\d+$/);
  let progress: Item | undefined;
  if (groupComplete || (mayHaveOpened && completeShards === to - from - 1) || (failures && groups > 1)) {
    progress = await versionedWrite(
      store,
      job,
      progressKey(job.jobId, job.epoch),
      `gv${g}`,
      sumOf(group, /^v\d+$/),
      [
        { name: `gc${g}`, value: groupComplete ? { S: formatCounts(groupCounts) } : undefined },
        ...(threshold ? [{ name: `gf${g}`, value: positive(groupFailed) }] : []),
      ],
    );
  }
  if (statuses.has("FAILED") && threshold) {
    // The job's final failures as the last of these writes saw them: whichever writer's write comes last
    // sees every failure (and every redrive) whose writes came before it.
    const over = exceeded(job, groups === 1 ? groupFailed : sumOf(progress ?? {}, /^gf\d+$/));
    if (over) await stopFailedJob(store, job, over);
  }
  if (!progress) return {};
  for (let h = 0; h < groups; h++) if (progress[`gc${h}`] === undefined) return {};
  const notice = await finishJob(store, job);
  return notice ? { notice } : {};
}

/** Whether task `index` was ever counted a final failure in `shard` (its `fx` set; counters.ts). */
const wasFinalFailure = (shard: Item, index: number): boolean => (shard.fx?.NS ?? []).includes(String(index));

/** A count as a stored number, or undefined (the attribute removed) when it is zero. */
const positive = (n: number): AttributeValue | undefined => (n > 0 ? { N: String(n) } : undefined);

/**
 * Sets the number `versionName` to `version`, only if the item holds a lower one (or none), and with it each
 * field (its value, or removed when undefined). Returns the item as it is now: written, or newer than this
 * write (the refusal returns it). Writers arriving in any order leave the newest state.
 */
async function versionedWrite(
  store: DedupStore,
  job: JobInfo,
  key: Item,
  versionName: string,
  version: number,
  fields: { name: string; value: AttributeValue | undefined }[] = [],
): Promise<Item> {
  const expiry = counterExpiry(store, job);
  const names: Record<string, string> = { "#v": versionName };
  const values: Record<string, AttributeValue> = { ":v": { N: String(version) }, ...expiry.values };
  const set = ["#v = :v", ...(expiry.set ? [expiry.set] : [])];
  const remove: string[] = [];
  fields.forEach((field, i) => {
    names[`#f${i}`] = field.name;
    if (field.value === undefined) remove.push(`#f${i}`);
    else {
      set.push(`#f${i} = :f${i}`);
      values[`:f${i}`] = field.value;
    }
  });
  return (
    (
      await updateIf(store, {
        Key: key,
        UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
        ConditionExpression: progressClauses.newer,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      })
    ).item ?? {}
  );
}

const sumOf = (item: Item, name: RegExp) =>
  Object.entries(item)
    .filter(([n]) => name.test(n))
    .reduce((sum, [, v]) => sum + Number(v.N ?? 0), 0);

/** Indexes of the shard in a final set. */
function finalCount(shard: Item): number {
  return new Set([...(shard.ok?.NS ?? []), ...(shard.failed?.NS ?? []), ...(shard.cancelled?.NS ?? [])]).size;
}

/** A shard's final counts, read as status reads them (sumShards). */
function shardCounts(shard: Item) {
  const { succeeded, failed, cancelled } = sumShards([shard]);
  return { succeeded, failed, cancelled };
}

function hasThreshold(job: JobInfo): boolean {
  return (
    job.options.toleratedFailureCount !== undefined || job.options.toleratedFailurePercentage !== undefined
  );
}

/** Why `failed` final failures exceed the job's tolerance, or undefined if they do not. */
function exceeded(job: JobInfo, failed: number): string | undefined {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percent } = job.options;
  if (count !== undefined && failed > count)
    return `failure threshold exceeded: ${failed} tasks failed, toleratedFailureCount is ${count}`;
  if (percent !== undefined && failed * 100 > percent * job.total)
    return `failure threshold exceeded: ${failed} of ${job.total} tasks failed (${round(
      (failed * 100) / job.total,
    )}%), toleratedFailurePercentage is ${percent}`;
  return undefined;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Finishes the job once: reads its counts, then `SET finishedAt` only if no one has (G8). The winner
 * also stores the notice and `notifyDue`, which puts the job in the jobs-to-notify index until the notice
 * is published ({@link markNotified}): the outbox a crash between the two cannot lose. The same write starts
 * the job's expiry (`expiresAt`, absent until now), and the winner then gives it to the job's counter items.
 */
export async function finishJob(
  store: DedupStore,
  known: JobInfo,
  reread = true,
): Promise<JobNotice | undefined> {
  const job = await readJob(store, known.jobId);
  if (!job || job.epoch !== known.epoch) return undefined;
  if (job.finishedAt !== undefined) {
    // Its winner died before its counter items had their expiry: give it to them now (best effort, as below).
    if (job.countersExpireAt !== undefined)
      await expireCounters(store, job, job.countersExpireAt).catch(() => undefined);
    return undefined;
  }
  // Every shard, fresh (once per job): the notice carries the counts of the shards themselves.
  const counts = await readShardCounts(store, job);
  if (counts.succeeded + counts.failed + counts.cancelled < job.total) return undefined;
  // A failure counted from the table's stream may have been redriven since: its REQUEUED change is still on
  // its way to the counts (or an older FAILED change was folded after the redrive took it out). Only tasks
  // whose records still say final FAILED may finish the job; else the counts will move again, and the write
  // that completes them then finishes it.
  if (!(await failuresStillFinal(store, job, counts.failedIndexes))) return undefined;
  const now = store.now();
  // A threshold exceeded that no settling write acted on (the failure's writer died after counting it, and
  // other tasks completed the job): the job fails here, as the threshold would have failed it (G8).
  const over =
    job.failedAt === undefined && job.cancelledAt === undefined && hasThreshold(job)
      ? exceeded(job, counts.failed)
      : undefined;
  const state: JobNotice["state"] =
    job.failedAt !== undefined || over
      ? "failed"
      : job.cancelledAt !== undefined
        ? "cancelled"
        : counts.failed > 0 && !hasThreshold(job)
          ? "failed"
          : "succeeded";
  const reason =
    job.stopReason ??
    over ??
    (state === "failed" ? `${counts.failed} of ${job.total} tasks failed` : undefined);
  const notice: JobNotice = {
    type: "job.finished",
    jobId: job.jobId,
    epoch: job.epoch,
    state,
    ...(reason === undefined ? {} : { reason }),
    total: job.total,
    succeeded: counts.succeeded,
    failed: counts.failed,
    cancelled: counts.cancelled,
    createdAt: new Date(job.createdAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
  };
  // The job's expiry starts now (issue 18): nothing of an unfinished job expires, however long it runs.
  const expiry = expiresAt(store);
  const finish = await updateIf(store, {
    Key: jobKey(job.jobId),
    UpdateExpression: `SET finishedAt = :now, finalState = :state, notice = :notice, notifyDue = :due, expiresAt = :exp, countersExpireAt = :exp${
      over ? ", failedAt = :now, stopReason = :reason" : ""
    }`,
    // A state read before a cancel that came since would be wrong: the cancel was acknowledged, so the job
    // must finish cancelled (found by the explorer: a notice "succeeded" for a job cancelled after the read).
    ConditionExpression: `${jobClauses.incarnation} AND ${jobClauses.unfinished}${
      job.cancelledAt === undefined ? ` AND ${jobClauses.uncancelled}` : ""
    }`,
    ExpressionAttributeValues: {
      ":now": { N: String(now) },
      ":state": { S: state },
      ":notice": { S: JSON.stringify(notice) },
      ":due": { S: "due" },
      ":exp": { N: String(expiry) },
      ":ep": { N: String(job.epoch) },
      ...(over ? { ":reason": { S: over } } : {}),
    },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (!finish.written) {
    // Cancelled since the read, and still unfinished: finish it again from a fresh read (once: a job is
    // cancelled at most once per incarnation).
    const cancelledSince = finish.item?.cancelledAt !== undefined && finish.item.finishedAt === undefined;
    return cancelledSince && reread ? finishJob(store, known, false) : undefined;
  }
  // The notice is won whatever happens here: a failure leaves `countersExpireAt` for the next settling write.
  await expireCounters(store, job, expiry).catch(() => undefined);
  return notice;
}

/** Whether every task counted a final failure still has a final FAILED record of this incarnation. */
async function failuresStillFinal(store: DedupStore, job: JobInfo, indexes: number[]): Promise<boolean> {
  if (indexes.length === 0) return true;
  const records = await batchGetAll(
    store,
    indexes.map((index) => taskRecordKey(job.jobId, index)),
  );
  const final = records.filter(
    (r) => r.status?.S === "FAILED" && r.finalFailure?.BOOL === true && Number(r.epoch?.N ?? 0) === job.epoch,
  );
  return final.length === indexes.length;
}

/** Takes a published notice out of the outbox (the jobs-to-notify index). */
export async function markNotified(store: DedupStore, job: Pick<JobInfo, "jobId" | "epoch">): Promise<void> {
  await updateIf(store, {
    Key: jobKey(job.jobId),
    UpdateExpression: "SET notifiedAt = :now REMOVE notifyDue",
    ConditionExpression: `${jobClauses.incarnation} AND ${jobClauses.noticeDue}`,
    ExpressionAttributeValues: { ":now": { N: String(store.now()) }, ":ep": { N: String(job.epoch) } },
  });
}

/**
 * Notices still due that were recorded more than `olderThanMs` ago: their winner crashed or could not
 * publish. One Query of the sparse jobs-to-notify index (empty, and nearly free, when all is well).
 */
export async function dueNotices(store: DedupStore, olderThanMs: number, limit = 100): Promise<JobNotice[]> {
  const out = await store.client.send(
    new QueryCommand({
      TableName: store.tableName,
      IndexName: jobIndexes.toNotify,
      KeyConditionExpression: "notifyDue = :due AND finishedAt < :before",
      ExpressionAttributeValues: {
        ":due": { S: "due" },
        ":before": { N: String(store.now() - olderThanMs) },
      },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).flatMap((item) => {
    const text = item.notice?.S;
    return text ? [JSON.parse(text) as JobNotice] : [];
  });
}
