import { QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { jobIndexes } from "@fanout/core";
import { conditionFailure, type Item } from "./condition-failure.ts";
import { type CountedStatus, countOutcome } from "./counters.ts";
import { type JobInfo, type JobState, readJob, readTaskCounts, stopFailedJob } from "./jobs.ts";
import { jobKey, progressKey, shardCount, shardOf, shardSize } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

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
 * threshold) adds a final failure, records it in the job's progress item. The write that completes the
 * last shard finishes the job: returns the notice to publish when this call won `finishedAt`.
 *
 * Every step is idempotent (sets, a monotonic maximum, a conditional `finishedAt`), so a retried or
 * duplicate call, or a crash at any await followed by a retry, neither double-counts nor finishes twice.
 */
export async function settleOutcome(
  store: DedupStore,
  job: JobInfo | undefined,
  task: { jobId: string; index: number; epoch: number },
  status: CountedStatus,
): Promise<{ notice?: JobNotice }> {
  const shard = await countOutcome(store, task.jobId, task.index, status, task.epoch);
  // A task of another incarnation, or of no recorded job (a worker invoked by hand): counted, nothing more.
  if (!job || job.epoch !== task.epoch || status === "RUNNING" || status === "RETRYING") return {};
  const k = shardOf(task.index);
  const finalIndexes = new Set([
    ...(shard.ok?.NS ?? []),
    ...(shard.failed?.NS ?? []),
    ...(shard.cancelled?.NS ?? []),
  ]);
  const complete = finalIndexes.size >= shardSize(job.total, k);
  const failedHere = status === "FAILED" && hasThreshold(job) ? (shard.failed?.NS ?? []).length : undefined;
  if (!complete && failedHere === undefined) return {};
  const progress = await updateProgress(store, job, k, complete, failedHere);
  if (failedHere !== undefined) {
    const failed = Object.entries(progress)
      .filter(([name]) => /^f\d+$/.test(name))
      .reduce((sum, [, v]) => sum + Number(v.N ?? 0), 0);
    const over = exceeded(job, failed);
    if (over) await stopFailedJob(store, job, over);
  }
  if ((progress.completeShards?.NS ?? []).length < shardCount(job.total)) return {};
  const notice = await finishJob(store, job);
  return notice ? { notice } : {};
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
 * One write to the progress item: the shard's number into `completeShards` (a set: idempotent), and the
 * shard's final-failure count as `f<k>`, raised only (a late write of a smaller count changes nothing).
 */
async function updateProgress(
  store: DedupStore,
  job: JobInfo,
  k: number,
  complete: boolean,
  failedHere: number | undefined,
): Promise<Item> {
  const send = (withFailures: boolean) =>
    store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: progressKey(job.jobId, job.epoch),
        UpdateExpression: [
          `SET expiresAt = if_not_exists(expiresAt, :exp)${withFailures ? ", #f = :nf" : ""}`,
          complete ? "ADD completeShards :k" : "",
        ].join(" "),
        ...(withFailures ? { ConditionExpression: "attribute_not_exists(#f) OR #f < :nf" } : {}),
        ExpressionAttributeNames: withFailures ? { "#f": `f${k}` } : undefined,
        ExpressionAttributeValues: {
          ":exp": { N: String(expiresAt(store)) },
          ...(complete ? { ":k": { NS: [String(k)] } } : {}),
          ...(withFailures ? { ":nf": { N: String(failedHere) } } : {}),
        },
        ReturnValues: "ALL_NEW",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
  if (failedHere === undefined) return (await send(false)).Attributes ?? {};
  try {
    return (await send(true)).Attributes ?? {};
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    // A later write already recorded at least this many failures in the shard.
    return complete ? ((await send(false)).Attributes ?? {}) : (refused.item ?? {});
  }
}

/**
 * Finishes the job once: reads its counts, then `SET finishedAt` only if no one has (G8). The winner
 * also stores the notice and `notifyDue`, which puts the job in the jobs-to-notify index until the notice
 * is published ({@link markNotified}): the outbox a crash between the two cannot lose.
 */
export async function finishJob(store: DedupStore, known: JobInfo): Promise<JobNotice | undefined> {
  const job = await readJob(store, known.jobId);
  if (!job || job.epoch !== known.epoch || job.finishedAt !== undefined) return undefined;
  const counts = await readTaskCounts(store, job);
  if (counts.succeeded + counts.failed + counts.cancelled < job.total) return undefined;
  const now = store.now();
  const state: JobNotice["state"] =
    job.failedAt !== undefined
      ? "failed"
      : job.cancelledAt !== undefined
        ? "cancelled"
        : counts.failed > 0 && (!hasThreshold(job) || exceeded(job, counts.failed))
          ? "failed"
          : "succeeded";
  const reason =
    job.stopReason ?? (state === "failed" ? `${counts.failed} of ${job.total} tasks failed` : undefined);
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
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: jobKey(job.jobId),
        UpdateExpression: "SET finishedAt = :now, finalState = :state, notice = :notice, notifyDue = :due",
        ConditionExpression: "epoch = :ep AND attribute_not_exists(finishedAt)",
        ExpressionAttributeValues: {
          ":now": { N: String(now) },
          ":state": { S: state },
          ":notice": { S: JSON.stringify(notice) },
          ":due": { S: "due" },
          ":ep": { N: String(job.epoch) },
        },
      }),
    );
    return notice;
  } catch (error) {
    if (conditionFailure(error)) return undefined;
    throw error;
  }
}

/** Takes a published notice out of the outbox (the jobs-to-notify index). */
export async function markNotified(store: DedupStore, job: Pick<JobInfo, "jobId" | "epoch">): Promise<void> {
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: jobKey(job.jobId),
        UpdateExpression: "SET notifiedAt = :now REMOVE notifyDue",
        ConditionExpression: "epoch = :ep AND attribute_exists(notifyDue)",
        ExpressionAttributeValues: { ":now": { N: String(store.now()) }, ":ep": { N: String(job.epoch) } },
      }),
    );
  } catch (error) {
    if (!conditionFailure(error)) throw error;
  }
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
