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
 * Slots free now, from one consistent read of the job's slots (BatchGetItem, 100 keys per call). The
 * consumer uses it to hold a full job's tasks back in the queue instead of dispatching them.
 */
export async function freeSlots(store: DedupStore, job: SlotJob): Promise<number[]> {
  const items = new Map((await batchGetAll(store, slotKeys(job))).map((item) => [slotNumberOf(item), item]));
  const now = store.now();
  return Array.from({ length: job.maxConcurrency }, (_, k) => k).filter((k) => isFree(items.get(k), now));
}

/**
 * Takes one of the job's concurrency slots for `holder` until `leaseSeconds` from now: reads the slots,
 * then tries free ones (in random order, so concurrent takers spread) with one conditional write each,
 * at most `tries`. A slot's lease outlasts the worker's timeout, so a holder that dies frees it by expiry.
 * Returns the slot taken, or undefined when every slot is held (the cap is reached).
 */
export async function acquireSlot(
  store: DedupStore,
  job: SlotJob,
  holder: string,
  leaseSeconds: number,
  tries = 3,
): Promise<number | undefined> {
  const free = await freeSlots(store, job);
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [free[i], free[j]] = [free[j] as number, free[i] as number];
  }
  for (const k of free.slice(0, tries)) {
    const now = store.now();
    try {
      await store.client.send(
        new UpdateItemCommand({
          TableName: store.tableName,
          Key: slotKey(job.jobId, job.epoch, k),
          UpdateExpression: "SET holder = :me, #u = :until, expiresAt = :exp",
          ConditionExpression: "attribute_not_exists(holder) OR #u < :now",
          ExpressionAttributeNames: { "#u": "until" },
          ExpressionAttributeValues: {
            ":me": { S: holder },
            ":until": { N: String(now + leaseSeconds * 1000) },
            ":now": { N: String(now) },
            ":exp": { N: String(expiresAt(store)) },
          },
        }),
      );
      return k;
    } catch (error) {
      if (!conditionFailure(error)) throw error;
      // Taken by someone else since the read: try the next free one.
    }
  }
  return undefined;
}

/** Gives a slot back; only its holder can (a slot taken over after the holder's lease ended stays taken). */
export async function releaseSlot(
  store: DedupStore,
  job: SlotJob,
  slot: number,
  holder: string,
): Promise<void> {
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: slotKey(job.jobId, job.epoch, slot),
        UpdateExpression: "REMOVE holder, #u",
        ConditionExpression: "holder = :me",
        ExpressionAttributeNames: { "#u": "until" },
        ExpressionAttributeValues: { ":me": { S: holder } },
      }),
    );
  } catch (error) {
    if (!conditionFailure(error)) throw error;
  }
}
