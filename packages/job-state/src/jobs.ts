import { BatchGetItemCommand, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import {
  JobConflictError,
  type JobRunOptions,
  jobIndexes,
  limits,
  type SourceLayout,
  type TaskFormat,
} from "@fanout/core";
import pRetry from "p-retry";
import type { Item } from "./condition-failure.ts";
import { InvalidCursorError, JobNotFoundError } from "./errors.ts";
import { jobClauses } from "./job-clauses.ts";
import {
  type CounterLayout,
  counterKey,
  groupCount,
  groupKey,
  jobKey,
  layoutFor,
  progressKey,
  shardCount,
} from "./keys.ts";
import type { DedupStore } from "./store.ts";
import { putIf, updateIf } from "./table.ts";

export interface JobRecord {
  jobId: string;
  contentHash: string;
  total: number;
  /** maxConcurrency and the tolerated failures; stored so the consumer and the worker apply them. */
  options?: JobRunOptions;
  /** A job read from S3: where, which version (ETag), and how; its enqueue steps resume from the record. */
  source?: JobSource;
}

/** The S3 object a source job's tasks come from, as validated. */
export interface JobSource {
  url: string;
  etag: string;
  format: TaskFormat;
  layout: SourceLayout;
}

/** How far a source job's enqueueing got (enqueue.ts): tasks below `to` are in the queue. */
export interface EnqueueProgress {
  to: number;
  /** Byte offset in the source just past task `to - 1`. */
  offset: number;
  /** The highest `to` whose step handed the rest over (its invoke was accepted). */
  handedOverTo?: number;
  /** The enqueue step holding the lease, and until when (absent between steps). */
  owner?: string;
  leaseUntil?: number;
}

/**
 * Where a job is: `running` until every task is final, `cancelling` / `failing` while a cancel or an
 * exceeded failure threshold stops it, then one of the final states. A job whose tasks all finished is
 * `succeeded` when no more tasks failed than it tolerates (any failure, when it set no threshold), else `failed`.
 */
export type JobState = "running" | "cancelling" | "failing" | "succeeded" | "failed" | "cancelled";

/** The job record: small (one read unit), read by every worker run. */
export interface JobInfo {
  jobId: string;
  epoch: number;
  total: number;
  createdAt: number;
  options: JobRunOptions;
  cancelledAt?: number;
  /** When the failure threshold was exceeded (the job was then cancelled too). */
  failedAt?: number;
  /** Why the job stopped early: a cancel, or the threshold with the counts. */
  stopReason?: string;
  finishedAt?: number;
  /** The final state, set once with `finishedAt`. */
  finalState?: JobState;
  /** When the `job.finished` notice was published (absent while it is due). */
  notifiedAt?: number;
  /**
   * When the record expires (TTL, epoch seconds): set when the job finishes, so an unfinished job never
   * expires (issue 18). A record of an earlier release has one from its submission.
   */
  expiresAt?: number;
  /** The expiry still to be given to the job's counter items (the job's finisher died first). */
  countersExpireAt?: number;
  source?: JobSource;
  enqueue?: EnqueueProgress;
  /** How the job's counters are laid out (ADR 0014): interleaved shards, group items. */
  layout: CounterLayout;
}

/** `jobClauses.gone`, read from an item (as the condition reads it: a missing attribute compares false). */
const isGone = (item: Item, now: number) =>
  item.finishedAt?.N !== undefined &&
  item.expiresAt?.N !== undefined &&
  Number(item.expiresAt.N) < Math.floor(now / 1000);

/**
 * Records a job once: one conditional PutItem. Resubmitting the same content is allowed (`created:
 * false`); the same jobId with other content raises {@link JobConflictError} (G6).
 */
export async function recordJob(
  store: DedupStore,
  job: JobRecord,
): Promise<{ created: boolean; epoch: number; finished?: boolean }> {
  // The incarnation: a jobId accepted again after its record expired gets a new one (and new task ids).
  const epoch = store.now();
  const options = job.options ?? {};
  const layout = layoutFor(job.total, store.counterLayout);
  const write = await putIf(store, {
    Item: {
      ...jobKey(job.jobId),
      kind: { S: "job" },
      jobId: { S: job.jobId },
      // The jobs-by-created index lists every job, newest first, from this one partition.
      jobList: { S: "job" },
      contentHash: { S: job.contentHash },
      total: { N: String(job.total) },
      createdAt: { N: String(store.now()) },
      epoch: { N: String(epoch) },
      // No expiresAt: it is set when the job finishes (finishJob), so a job never outlives its record.
      // The counter layout, fixed for the job's life: every writer of its counters reads it here.
      shardWidth: { N: String(layout.width) },
      shardTasks: { N: String(layout.perShard) },
      groupShards: { N: String(layout.perGroup) },
      ...(options.maxConcurrency === undefined
        ? {}
        : { maxConcurrency: { N: String(options.maxConcurrency) } }),
      ...(options.toleratedFailureCount === undefined
        ? {}
        : { toleratedFailureCount: { N: String(options.toleratedFailureCount) } }),
      ...(options.toleratedFailurePercentage === undefined
        ? {}
        : { toleratedFailurePercentage: { N: String(options.toleratedFailurePercentage) } }),
      ...(job.source === undefined
        ? {}
        : {
            source: { S: job.source.url },
            sourceEtag: { S: job.source.etag },
            format: { S: job.source.format },
            layout: { S: job.source.layout },
            enqueuedTo: { N: "0" },
            enqueuedOffset: { N: "0" },
          }),
    },
    // Only the first submission writes: a resubmission keeps the original record, unless the job is gone:
    // finished and past its expiry (TTL deletes lazily). Then its tasks run afresh and so does the job.
    ConditionExpression: `${jobClauses.fresh} OR ${jobClauses.gone}`,
    ExpressionAttributeValues: { ":nowSec": { N: String(Math.floor(store.now() / 1000)) } },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return { created: true, epoch };
  if (write.item?.contentHash?.S === job.contentHash)
    return {
      created: false,
      epoch: Number(write.item.epoch?.N ?? 0),
      ...(write.item.finishedAt?.N !== undefined ? { finished: true } : {}),
    };
  throw new JobConflictError(job.jobId);
}

const num = (item: Item, name: string) => (item[name]?.N === undefined ? undefined : Number(item[name].N));

/** Reads a job record item into a {@link JobInfo}. */
export function jobInfoOf(item: Item): JobInfo {
  const jobId = item.jobId?.S ?? item.pk?.S?.slice("JOB#".length) ?? "";
  const maxConcurrency = num(item, "maxConcurrency");
  const toleratedFailureCount = num(item, "toleratedFailureCount");
  const toleratedFailurePercentage = num(item, "toleratedFailurePercentage");
  const total = num(item, "total") ?? 0;
  const width = num(item, "shardWidth");
  // Every release records its layout with the job; a record without one predates v0.1.0, which nothing has to
  // read (releases/README.md), and a made-up record (a test's) gets the default.
  const layout =
    width === undefined
      ? layoutFor(total)
      : { width, perShard: num(item, "shardTasks") ?? 128, perGroup: num(item, "groupShards") ?? 100 };
  const optional = {
    cancelledAt: num(item, "cancelledAt"),
    failedAt: num(item, "failedAt"),
    stopReason: item.stopReason?.S,
    finishedAt: num(item, "finishedAt"),
    finalState: item.finalState?.S as JobState | undefined,
    notifiedAt: num(item, "notifiedAt"),
    expiresAt: num(item, "expiresAt"),
    countersExpireAt: num(item, "countersExpireAt"),
    source: item.source?.S
      ? {
          url: item.source.S,
          etag: item.sourceEtag?.S ?? "",
          format: (item.format?.S ?? "tasks") as TaskFormat,
          layout: (item.layout?.S ?? "lines") as SourceLayout,
        }
      : undefined,
    enqueue:
      num(item, "enqueuedTo") === undefined
        ? undefined
        : {
            to: num(item, "enqueuedTo") ?? 0,
            offset: num(item, "enqueuedOffset") ?? 0,
            ...(num(item, "handedOverTo") === undefined ? {} : { handedOverTo: num(item, "handedOverTo") }),
            ...(item.enqueueOwner?.S ? { owner: item.enqueueOwner.S } : {}),
            ...(num(item, "enqueueLeaseUntil") === undefined
              ? {}
              : { leaseUntil: num(item, "enqueueLeaseUntil") }),
          },
  };
  return {
    jobId,
    epoch: num(item, "epoch") ?? 0,
    total,
    layout,
    createdAt: num(item, "createdAt") ?? 0,
    options: {
      ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
      ...(toleratedFailureCount === undefined ? {} : { toleratedFailureCount }),
      ...(toleratedFailurePercentage === undefined ? {} : { toleratedFailurePercentage }),
    },
    ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Partial<JobInfo>),
  };
}

/** The state a job record says it is in (a finished job's is stored; an unfinished one's follows its stop marks). */
export function jobStateOf(job: JobInfo): JobState {
  if (job.finalState) return job.finalState;
  if (job.failedAt !== undefined) return "failing";
  if (job.cancelledAt !== undefined) return "cancelling";
  return "running";
}

/** Reads the job record (strongly consistent: a cancel that was acknowledged is seen), or undefined. */
export async function readJob(store: DedupStore, jobId: string): Promise<JobInfo | undefined> {
  const out = await store.client.send(
    new GetItemCommand({ TableName: store.tableName, Key: jobKey(jobId), ConsistentRead: true }),
  );
  return out.Item ? jobInfoOf(out.Item) : undefined;
}

export type CancelResult =
  | { outcome: "cancelled"; job: JobInfo }
  | { outcome: "already-cancelled"; job: JobInfo }
  | { outcome: "finished"; job: JobInfo }
  | { outcome: "not-found" };

/**
 * Cancels a job: one conditional write of `cancelledAt` on its record. The consumer then drops its queued
 * tasks and the worker skips its dispatched ones; running tasks finish. A second cancel, a finished job and
 * an unknown jobId are told apart without a read (the refused write returns the record).
 */
export async function cancelJob(
  store: DedupStore,
  jobId: string,
  reason = "cancelled by request",
): Promise<CancelResult> {
  const now = store.now();
  const write = await updateIf(store, {
    Key: jobKey(jobId),
    UpdateExpression: "SET cancelledAt = :now, stopReason = :reason",
    // An unfinished job is never gone (jobClauses.gone), whatever the age of its record.
    ConditionExpression: `${jobClauses.exists} AND ${jobClauses.open}`,
    ExpressionAttributeValues: {
      ":now": { N: String(now) },
      ":reason": { S: reason },
    },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return { outcome: "cancelled", job: jobInfoOf(write.item ?? {}) };
  const item = write.item;
  if (!item || isGone(item, now)) return { outcome: "not-found" };
  const job = jobInfoOf(item);
  if (job.finishedAt !== undefined) return { outcome: "finished", job };
  return { outcome: "already-cancelled", job };
}

/**
 * Stops a job whose failure threshold was exceeded: marks it failed and cancelled in one conditional
 * write (only once, only while it is neither cancelled nor finished). Returns whether this call stopped it.
 */
export async function stopFailedJob(
  store: DedupStore,
  job: Pick<JobInfo, "jobId" | "epoch">,
  reason: string,
): Promise<boolean> {
  const now = store.now();
  return (
    await updateIf(store, {
      Key: jobKey(job.jobId),
      UpdateExpression: "SET cancelledAt = :now, failedAt = :now, stopReason = :reason",
      ConditionExpression: `${jobClauses.incarnation} AND ${jobClauses.open}`,
      ExpressionAttributeValues: {
        ":now": { N: String(now) },
        ":reason": { S: reason },
        ":ep": { N: String(job.epoch) },
      },
    })
  ).written;
}

/** Exact task counts of one job incarnation, summed from its counter shards. */
export interface TaskCounts {
  succeeded: number;
  /** Failed for good: Lambda's retries are spent (the event is in the failed-task queue). */
  failed: number;
  /** Failed, with a retry by Lambda still to come; counted in `pending` too. */
  retryPending: number;
  cancelled: number;
  /**
   * In flight: handed to the worker by a consumer run and not final, with no retry pending (queued in Lambda
   * or running). Counted by the consumer about once a second, so it may trail by that; a retry's run counts
   * under `retryPending` until its outcome. Counted in `pending` too.
   */
  running: number;
}

export interface JobStatus extends TaskCounts {
  jobId: string;
  total: number;
  /** Tasks not yet final (succeeded, failed for good, or cancelled). */
  pending: number;
  /** Every task is final. */
  done: boolean;
  state: JobState;
  /** Why the job stopped early, if it did. */
  stopReason?: string;
  options: JobRunOptions;
  createdAt: number;
  finishedAt?: number;
  /** When its `job.finished` notice was published (absent until then). */
  notifiedAt?: number;
  /** The job's incarnation (see {@link recordJob}). */
  epoch: number;
}

/**
 * Reads a job's status: the job record, then its counts ({@link readTaskCounts}). Counts are exact: each
 * shard holds the set of task indexes in each state, so a repeated write cannot count a task twice.
 */
export async function readJobStatus(store: DedupStore, jobId: string): Promise<JobStatus> {
  const job = await readJob(store, jobId);
  if (!job) throw new JobNotFoundError(jobId);
  const counts = await readTaskCounts(store, job);
  const final = counts.succeeded + counts.failed + counts.cancelled;
  return {
    jobId,
    total: job.total,
    ...counts,
    pending: job.total - final,
    done: final >= job.total,
    state: jobStateOf(job),
    ...(job.stopReason === undefined ? {} : { stopReason: job.stopReason }),
    options: job.options,
    createdAt: job.createdAt,
    ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt }),
    ...(job.notifiedAt === undefined ? {} : { notifiedAt: job.notifiedAt }),
    epoch: job.epoch,
  };
}

type CountedJob = Pick<JobInfo, "jobId" | "epoch" | "total" | "layout">;

/**
 * A job incarnation's counts. With a layout (ADR 0014): the progress item (the summed counts of complete
 * groups, and which groups were opened), then the group items of open incomplete groups (the counts of
 * their complete shards, and which shards were opened), then only the open incomplete shards of those: a
 * finished job costs one read after its record, a running one the shards in flight.
 */
export async function readTaskCounts(store: DedupStore, job: CountedJob): Promise<TaskCounts> {
  const laid = job;
  const out = await store.client.send(
    new GetItemCommand({
      TableName: store.tableName,
      Key: progressKey(job.jobId, job.epoch),
      ConsistentRead: true,
    }),
  );
  const progress = out.Item ?? {};
  const counts = noCounts();
  // Groups with a shard written to and not complete; a group no task has reached has no counts yet.
  const opened = new Set((progress.openGroups?.NS ?? []).map(Number));
  const openGroups: number[] = [];
  for (let g = 0; g < groupCount(laid); g++) {
    const c = progress[`gc${g}`]?.S;
    if (c !== undefined) addCounts(counts, c);
    else if (opened.has(g)) openGroups.push(g);
  }
  if (openGroups.length === 0) return counts;
  const groups = new Map(
    (
      await batchGetAll(
        store,
        openGroups.map((g) => groupKey(job.jobId, job.epoch, g)),
      )
    ).map((item) => [item.pk?.S, item]),
  );
  const openShards: number[] = [];
  for (const g of openGroups) {
    const group = groups.get(groupKey(job.jobId, job.epoch, g).pk.S) ?? {};
    for (const k of (group.open?.NS ?? []).map(Number)) {
      const c = group[`c${k}`]?.S;
      if (c === undefined) openShards.push(k);
      else addCounts(counts, c);
    }
  }
  return sumShards(
    await batchGetAll(
      store,
      openShards.map((k) => counterKey(laid, k)),
    ),
    counts,
  );
}

/**
 * Sums every counter shard of a job incarnation (the finisher's fresh read), with the indexes counted as
 * final failures.
 */
export async function readShardCounts(
  store: DedupStore,
  job: CountedJob,
): Promise<TaskCounts & { failedIndexes: number[] }> {
  const keys = Array.from({ length: shardCount(job) }, (_, k) => counterKey(job, k));
  const shards = await batchGetAll(store, keys);
  const failedIndexes = shards.flatMap((item) => {
    const ok = new Set(item.ok?.NS ?? []);
    return (item.failed?.NS ?? []).filter((i) => !ok.has(i)).map(Number);
  });
  return { ...sumShards(shards, noCounts()), failedIndexes };
}

const noCounts = (): TaskCounts => ({ succeeded: 0, failed: 0, retryPending: 0, cancelled: 0, running: 0 });

/** The final counts of a complete shard or group as stored in its group or progress item: "ok,failed,cancelled". */
export function formatCounts(c: Pick<TaskCounts, "succeeded" | "failed" | "cancelled">): string {
  return `${c.succeeded},${c.failed},${c.cancelled}`;
}

function addCounts(counts: TaskCounts, text: string): void {
  const [ok = 0, failed = 0, cancelled = 0] = text.split(",").map(Number);
  counts.succeeded += ok;
  counts.failed += failed;
  counts.cancelled += cancelled;
}

/** Sums counter shard items into `counts`. */
export function sumShards(shardItems: Item[], counts: TaskCounts = noCounts()): TaskCounts {
  for (const item of shardItems) {
    // The sets are disjoint by construction; the differences only guard against a stray late write.
    const ok = new Set(item.ok?.NS ?? []);
    const final = new Set((item.failed?.NS ?? []).filter((i) => !ok.has(i)));
    const cancelled = new Set((item.cancelled?.NS ?? []).filter((i) => !ok.has(i) && !final.has(i)));
    const isFinal = (i: string) => ok.has(i) || final.has(i) || cancelled.has(i);
    counts.succeeded += ok.size;
    counts.failed += final.size;
    counts.cancelled += cancelled.size;
    const retrying = new Set((item.retrying?.NS ?? []).filter((i) => !isFinal(i)));
    counts.retryPending += retrying.size;
    // In flight: handed to the worker (the consumer's batch count, or a v0.1.0 worker's start), not final,
    // no retry pending. A count written after the task's outcome (the consumer's write is late) drops out here.
    counts.running += (item.running?.NS ?? []).filter((i) => !isFinal(i) && !retrying.has(i)).length;
  }
  return counts;
}

/**
 * Reads items by key, 100 keys per BatchGetItem (in parallel), retrying unprocessed keys. Strongly
 * consistent unless `consistent` is false (half the read units, for reads a conditional write re-checks).
 */
export async function batchGetAll(store: DedupStore, keys: Item[], consistent = true): Promise<Item[]> {
  const chunks: Item[][] = [];
  for (let i = 0; i < keys.length; i += limits.dynamoBatchGetKeys)
    chunks.push(keys.slice(i, i + limits.dynamoBatchGetKeys));
  return (await Promise.all(chunks.map((chunk) => batchGet(store, chunk, consistent)))).flat();
}

/** Keys BatchGetItem left unprocessed (throttled): read again, after a backoff, by `batchGet`'s retry. */
class UnprocessedKeysError extends Error {
  constructor(count: number) {
    super(`BatchGetItem left ${count} keys unprocessed`);
    this.name = "UnprocessedKeysError";
  }
}

async function batchGet(store: DedupStore, keys: Item[], consistent: boolean): Promise<Item[]> {
  const items: Item[] = [];
  let request: Item[] = keys;
  // Only the unprocessed keys are retried (50 ms doubling, 8 times); any other error is the SDK's to retry.
  await pRetry(
    async () => {
      const out = await store.client.send(
        new BatchGetItemCommand({
          RequestItems: { [store.tableName]: { Keys: request, ConsistentRead: consistent } },
        }),
      );
      items.push(...(out.Responses?.[store.tableName] ?? []));
      request = (out.UnprocessedKeys?.[store.tableName]?.Keys as Item[] | undefined) ?? [];
      if (request.length > 0) throw new UnprocessedKeysError(request.length);
    },
    {
      retries: 8,
      minTimeout: 50,
      factor: 2,
      randomize: false,
      shouldRetry: ({ error }) => error instanceof UnprocessedKeysError,
    },
  );
  return items;
}

export interface JobPage {
  jobs: (JobInfo & { state: JobState })[];
  /** Pass back as `after` for the next page; absent on the last page. */
  next?: string;
}

/**
 * Lists jobs newest first, one page per call: one Query of the jobs-by-created index (its items are the
 * job records, so no further read).
 */
export async function listJobs(store: DedupStore, page: { limit: number; after?: string }): Promise<JobPage> {
  const out = await store.client.send(
    new QueryCommand({
      TableName: store.tableName,
      IndexName: jobIndexes.byCreated,
      KeyConditionExpression: "jobList = :job",
      ExpressionAttributeValues: { ":job": { S: "job" } },
      ScanIndexForward: false,
      Limit: page.limit,
      ...(page.after === undefined ? {} : { ExclusiveStartKey: decodeCursor(page.after) }),
    }),
  );
  const jobs = (out.Items ?? []).map((item) => {
    const job = jobInfoOf(item);
    return { ...job, state: jobStateOf(job) };
  });
  return out.LastEvaluatedKey ? { jobs, next: encodeCursor(out.LastEvaluatedKey) } : { jobs };
}

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string): Item {
  try {
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString()) as Item;
    if (typeof key?.pk?.S !== "string" || typeof key.createdAt?.N !== "string") throw new Error("not a key");
    return key;
  } catch (error) {
    throw new InvalidCursorError(cursor, { cause: error });
  }
}
