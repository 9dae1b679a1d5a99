import type { Item } from "./condition-failure.ts";
import { counterClauses, jobClauses } from "./job-clauses.ts";
import type { JobInfo } from "./jobs.ts";
import { counterKey, groupCount, groupKey, jobKey, progressKey, shardCount } from "./keys.ts";
import type { DedupStore } from "./store.ts";
import { updateIf } from "./table.ts";

/** Counter items stamped at once: a finished job of 1,000,000 tasks has ~7,900 (ADR 0014). */
const inFlight = 25;

/**
 * Gives every counter item of a finished job (its shards, groups and progress item) the job's expiry
 * `expiresAt` (epoch seconds), then takes `countersExpireAt` off its record: the mark that this is still to be
 * done, written with `finishedAt`, so that a winner that dies part way is repeated by the next settling of the
 * job (`finishJob` on a finished job). Idempotent; creates no item (a shard never written has none to keep).
 * One write per counter item per job: ~1/128 of a write per task.
 */
export async function expireCounters(store: DedupStore, job: JobInfo, expiresAt: number): Promise<void> {
  const keys: Item[] = Array.from({ length: shardCount(job) }, (_, k) => counterKey(job, k));
  for (let g = 0; g < groupCount(job); g++) keys.push(groupKey(job.jobId, job.epoch, g));
  keys.push(progressKey(job.jobId, job.epoch));
  for (let i = 0; i < keys.length; i += inFlight)
    await Promise.all(keys.slice(i, i + inFlight).map((key) => stamp(store, key, expiresAt)));
  await updateIf(store, {
    Key: jobKey(job.jobId),
    UpdateExpression: "REMOVE countersExpireAt",
    ConditionExpression: jobClauses.incarnation,
    ExpressionAttributeValues: { ":ep": { N: String(job.epoch) } },
  });
}

async function stamp(store: DedupStore, key: Item, expiresAt: number): Promise<void> {
  await updateIf(store, {
    Key: key,
    UpdateExpression: "SET expiresAt = :exp",
    ConditionExpression: counterClauses.exists,
    ExpressionAttributeValues: { ":exp": { N: String(expiresAt) } },
  });
}
