import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { conditionFailure, type Item } from "./condition-failure.ts";
import { batchGetAll } from "./jobs.ts";
import { slotKey } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

/** The job a slot belongs to: `maxConcurrency` slots per incarnation. */
export interface SlotJob {
  jobId: string;
  epoch: number;
  maxConcurrency: number;
}

const slotKeys = (job: SlotJob) =>
  Array.from({ length: job.maxConcurrency }, (_, k) => slotKey(job.jobId, job.epoch, k));

const slotNumberOf = (item: Item) => Number(item.pk?.S?.split("#SLOT#")[1] ?? -1);

/** A slot is free when no one holds it, or its holder's lease ended (the holder was stopped by its timeout). */
const isFree = (item: Item | undefined, now: number) => !item?.holder?.S || Number(item.until?.N ?? 0) < now;

/**
 * How many of the job's slots look free (one eventually consistent read of them all), and the mean run time
 * their last holders reported: the consumer's check before it claims a task of a capped job, so that a task
 * of a full job is held back with no write at all.
 */
export async function freeSlots(store: DedupStore, job: SlotJob): Promise<{ free: number; runMs?: number }> {
  const items = await batchGetAll(store, slotKeys(job), false);
  const now = store.now();
  const held = items.filter((item) => !isFree(item, now)).length;
  const runs = items.flatMap((item) => (item.lastRunMs?.N ? [Number(item.lastRunMs.N)] : []));
  return {
    free: job.maxConcurrency - held,
    ...(runs.length > 0 ? { runMs: runs.reduce((a, b) => a + b, 0) / runs.length } : {}),
  };
}

/**
 * Takes a concurrency slot of the job for `holder` (a task id) until `leaseSeconds` from now, with one
 * conditional write per try after one read of the slots (for a cap above 25, after a few blind tries
 * first): the slot this holder already has (the consumer took it for the dispatch, or a failed run kept it
 * for Lambda's retry) first, else a free one (in random order, so concurrent takers spread), at most `tries`
 * writes. A slot's lease ends by itself, so a holder
 * that dies frees it. Returns the slot, or undefined when every slot is held by others (the cap is reached).
 */
export async function acquireSlot(
  store: DedupStore,
  job: SlotJob,
  holder: string,
  leaseSeconds: number,
  tries = 3,
  /** Filled in when the slots were read: the mean run time their last holders reported at release. */
  seen: { runMs?: number } = {},
): Promise<number | undefined> {
  const all = Array.from({ length: job.maxConcurrency }, (_, k) => k);
  shuffle(all);
  // A large cap is mostly free when its tasks are sparse: try a few slots blind before reading them all
  // (a read of every slot costs one read unit per slot).
  if (job.maxConcurrency > blindAbove) {
    for (const k of all.slice(0, tries))
      if (await holdSlot(store, job, k, holder, leaseSeconds, true)) return k;
  }
  // Eventually consistent (half the read units): the conditional write re-checks each slot it tries.
  const items = new Map(
    (await batchGetAll(store, slotKeys(job), false)).map((item) => [slotNumberOf(item), item]),
  );
  const runs = [...items.values()].flatMap((item) => (item.lastRunMs?.N ? [Number(item.lastRunMs.N)] : []));
  if (runs.length > 0) seen.runMs = runs.reduce((a, b) => a + b, 0) / runs.length;
  const now = store.now();
  const mine = all.filter((k) => items.get(k)?.holder?.S === holder);
  const free = all.filter((k) => !mine.includes(k) && isFree(items.get(k), now));
  for (const k of [...mine, ...free].slice(0, tries)) {
    if (await holdSlot(store, job, k, holder, leaseSeconds, true)) return k;
    // Taken by someone else since the read: try the next one.
  }
  return undefined;
}

/** Caps above this try slots without reading them first. */
const blindAbove = 25;

function shuffle(list: number[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j] as number, list[i] as number];
  }
}

/**
 * Sets the slot's lease to `leaseSeconds` from now, if `holder` holds it (or, with `orFree`, if it is
 * free). Returns whether it did.
 */
export async function holdSlot(
  store: DedupStore,
  job: SlotJob,
  slot: number,
  holder: string,
  leaseSeconds: number,
  orFree = false,
): Promise<boolean> {
  const now = store.now();
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: slotKey(job.jobId, job.epoch, slot),
        UpdateExpression: "SET holder = :me, #u = :until, expiresAt = :exp",
        ConditionExpression: orFree
          ? "attribute_not_exists(holder) OR #u < :now OR holder = :me"
          : "holder = :me",
        ExpressionAttributeNames: { "#u": "until" },
        ExpressionAttributeValues: {
          ":me": { S: holder },
          ":until": { N: String(now + leaseSeconds * 1000) },
          ":exp": { N: String(expiresAt(store)) },
          ...(orFree ? { ":now": { N: String(now) } } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Gives a slot back; only its holder can (a slot taken over after the holder's lease ended stays taken).
 * `runMs`, the run's duration, is kept on the slot: the consumer paces held-back tasks by it.
 */
export async function releaseSlot(
  store: DedupStore,
  job: SlotJob,
  slot: number,
  holder: string,
  runMs?: number,
): Promise<void> {
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: slotKey(job.jobId, job.epoch, slot),
        UpdateExpression: runMs === undefined ? "REMOVE holder, #u" : "SET lastRunMs = :ms REMOVE holder, #u",
        ConditionExpression: "holder = :me",
        ExpressionAttributeNames: { "#u": "until" },
        ExpressionAttributeValues: {
          ":me": { S: holder },
          ...(runMs === undefined ? {} : { ":ms": { N: String(Math.round(runMs)) } }),
        },
      }),
    );
  } catch (error) {
    if (!conditionFailure(error)) throw error;
  }
}
