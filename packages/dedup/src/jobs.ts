import { BatchGetItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { JobConflictError, limits } from "@fanout/core";
import { conditionFailure, type Item } from "./condition-failure.ts";
import { JobNotFoundError } from "./errors.ts";
import { jobKey, shardCount, shardKey } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

export interface JobRecord {
  jobId: string;
  contentHash: string;
  total: number;
}

/**
 * Records a job once: one conditional PutItem. Resubmitting the same content is allowed (`created:
 * false`); the same jobId with other content raises {@link JobConflictError} (G6).
 */
export async function recordJob(
  store: DedupStore,
  job: JobRecord,
): Promise<{ created: boolean; epoch: number }> {
  // The incarnation: a jobId accepted again after its record expired gets a new one (and new task ids).
  const epoch = store.now();
  try {
    await store.client.send(
      new PutItemCommand({
        TableName: store.tableName,
        Item: {
          ...jobKey(job.jobId),
          kind: { S: "job" },
          contentHash: { S: job.contentHash },
          total: { N: String(job.total) },
          createdAt: { N: String(store.now()) },
          epoch: { N: String(epoch) },
          expiresAt: { N: String(expiresAt(store)) },
        },
        // Only the first submission writes: a resubmission keeps the original createdAt and expiry, unless
        // the record has expired (TTL deletes lazily): then its tasks run afresh and so does the job.
        ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :nowSec",
        ExpressionAttributeValues: { ":nowSec": { N: String(Math.floor(store.now() / 1000)) } },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return { created: true, epoch };
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    if (refused.item?.contentHash?.S === job.contentHash)
      return { created: false, epoch: Number(refused.item.epoch?.N ?? 0) };
    throw new JobConflictError(job.jobId, { cause: error });
  }
}

export interface JobStatus {
  jobId: string;
  total: number;
  succeeded: number;
  /** Failed for good: Lambda's retries are spent (the event is in the failed-task queue). */
  failed: number;
  /** Failed, with a retry by Lambda still to come; counted in `pending` too. */
  retryPending: number;
  /** Tasks not yet SUCCEEDED or failed for good. */
  pending: number;
  /** Every task SUCCEEDED or failed for good. */
  done: boolean;
  createdAt: number;
  /** The job's incarnation (see {@link recordJob}). */
  epoch: number;
}

/**
 * Reads a job's counters: one GetItem (the job) and one BatchGetItem (its counter shards, up to
 * 12,800 tasks; larger jobs read further shards in parallel). Counts are
 * exact: each shard holds the set of task indexes that succeeded or failed, so a repeated write
 * cannot count a task twice.
 */
export async function readJobStatus(store: DedupStore, jobId: string): Promise<JobStatus> {
  const jobItem = await getJob(store, jobId);
  if (!jobItem) throw new JobNotFoundError(jobId);
  const total = Number(jobItem.total?.N ?? 0);
  const epoch = Number(jobItem.epoch?.N ?? 0);
  const keys = Array.from({ length: shardCount(total) }, (_, i) => shardKey(jobId, epoch, i));
  const chunks: Item[][] = [];
  for (let i = 0; i < keys.length; i += limits.dynamoBatchGetKeys)
    chunks.push(keys.slice(i, i + limits.dynamoBatchGetKeys));
  const shardItems = (await Promise.all(chunks.map((chunk) => batchGet(store, chunk)))).flat();
  let succeeded = 0;
  let failed = 0;
  let retryPending = 0;
  for (const item of shardItems) {
    // The sets are disjoint by construction; the differences only guard against a stray late write.
    const ok = new Set(item.ok?.NS ?? []);
    const final = new Set((item.failed?.NS ?? []).filter((i) => !ok.has(i)));
    succeeded += ok.size;
    failed += final.size;
    retryPending += (item.retrying?.NS ?? []).filter((i) => !ok.has(i) && !final.has(i)).length;
  }
  return {
    jobId,
    total,
    succeeded,
    failed,
    retryPending,
    pending: total - succeeded - failed,
    done: succeeded + failed >= total,
    createdAt: Number(jobItem.createdAt?.N ?? 0),
    epoch,
  };
}

async function getJob(store: DedupStore, jobId: string): Promise<Item | undefined> {
  const out = await store.client.send(
    new GetItemCommand({ TableName: store.tableName, Key: jobKey(jobId), ConsistentRead: true }),
  );
  return out.Item;
}

async function batchGet(store: DedupStore, keys: Item[]): Promise<Item[]> {
  const items: Item[] = [];
  let request: Item[] = keys;
  for (let attempt = 0; request.length > 0; attempt++) {
    const out = await store.client.send(
      new BatchGetItemCommand({
        RequestItems: { [store.tableName]: { Keys: request, ConsistentRead: true } },
      }),
    );
    items.push(...(out.Responses?.[store.tableName] ?? []));
    request = (out.UnprocessedKeys?.[store.tableName]?.Keys as Item[] | undefined) ?? [];
    if (request.length > 0) {
      if (attempt >= 8) throw new Error(`BatchGetItem left ${request.length} keys unprocessed`);
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
  return items;
}
