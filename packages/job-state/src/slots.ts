import type { Item } from "./condition-failure.ts";
import { slotClauses } from "./job-clauses.ts";
import { batchGetAll } from "./jobs.ts";
import { slotKey } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";
import { updateIf } from "./table.ts";

/** The job a slot belongs to: `maxConcurrency` slots per incarnation. */
export interface SlotJob {
  jobId: string;
  epoch: number;
  maxConcurrency: number;
}

/** The slot view of a job record: a capped job's incarnation and cap, or undefined for a job without a cap. */
export function slotJobOf(
  job: { jobId: string; epoch: number; options: { maxConcurrency?: number } } | undefined,
): SlotJob | undefined {
  const cap = job?.options.maxConcurrency;
  return job && cap !== undefined ? { jobId: job.jobId, epoch: job.epoch, maxConcurrency: cap } : undefined;
}

const slotKeys = (job: SlotJob) =>
  Array.from({ length: job.maxConcurrency }, (_, k) => slotKey(job.jobId, job.epoch, k));

const slotNumberOf = (item: Item) => Number(item.pk?.S?.split("#SLOT#")[1] ?? -1);

/** A slot is free when no one holds it, or its holder's lease ended (the holder was stopped by its timeout). */
const isFree = (item: Item | undefined, now: number) => !item?.holder?.S || Number(item.until?.N ?? 0) < now;

/** What a read of a job's slots saw: the free ones (in random order, so concurrent takers spread). */
export interface SlotsSeen {
  /** Slots held by no one, or by a holder whose lease ended. */
  free: number[];
  /** Slots `holder` (when given) holds already. */
  mine: number[];
  /** The mean run time the slots' last holders reported at release. */
  runMs?: number;
}

/**
 * One eventually consistent read of every slot of the job (half a read unit per slot): which look free, and
 * how long their last holders ran. Each take re-checks its slot with a conditional write, so a stale read
 * costs a refused write, never a broken cap.
 */
export async function readSlots(store: DedupStore, job: SlotJob, holder?: string): Promise<SlotsSeen> {
  const items = new Map(
    (await batchGetAll(store, slotKeys(job), false)).map((item) => [slotNumberOf(item), item]),
  );
  const runs = [...items.values()].flatMap((item) => (item.lastRunMs?.N ? [Number(item.lastRunMs.N)] : []));
  const now = store.now();
  const all = Array.from({ length: job.maxConcurrency }, (_, k) => k);
  shuffle(all);
  const mine = holder === undefined ? [] : all.filter((k) => items.get(k)?.holder?.S === holder);
  return {
    free: all.filter((k) => !mine.includes(k) && isFree(items.get(k), now)),
    mine,
    ...(runs.length > 0 ? { runMs: runs.reduce((a, b) => a + b, 0) / runs.length } : {}),
  };
}

/**
 * Takes the first slot of `candidates` that is still free (or `holder`'s), trying at most `tries` of them
 * with one conditional write each; each slot tried is taken out of `candidates` (the caller's view of the
 * free slots stays current across takes). Returns the slot, or undefined.
 */
export async function takeSlotOf(
  store: DedupStore,
  job: SlotJob,
  holder: string,
  leaseSeconds: number,
  candidates: number[],
  tries: number,
): Promise<number | undefined> {
  for (let tried = 0; tried < tries; tried++) {
    const k = candidates.shift();
    if (k === undefined) return undefined;
    if (await holdSlot(store, job, k, holder, leaseSeconds, true)) return k;
    // Taken by someone else since the read: try the next one.
  }
  return undefined;
}

/**
 * Takes a concurrency slot of the job for `holder` (a task id) until `leaseSeconds` from now, with one
 * conditional write per try after one read of the slots (for a cap above 25, after a few blind tries
 * first): the slot this holder already has (the consumer took it for the dispatch, or a failed run kept it
 * for Lambda's retry) first, else a free one, at most `tries` writes. A slot's lease ends by itself, so a
 * holder that dies frees it. Returns the slot, or undefined when every slot is held by others (the cap is
 * reached).
 */
export async function acquireSlot(
  store: DedupStore,
  job: SlotJob,
  holder: string,
  leaseSeconds: number,
  tries = 3,
): Promise<number | undefined> {
  // A large cap is mostly free when its tasks are sparse: try a few slots blind before reading them all
  // (a read of every slot costs half a read unit per slot).
  if (job.maxConcurrency > blindAbove) {
    const blind = Array.from({ length: job.maxConcurrency }, (_, k) => k);
    shuffle(blind);
    const slot = await takeSlotOf(store, job, holder, leaseSeconds, blind, tries);
    if (slot !== undefined) return slot;
  }
  const seen = await readSlots(store, job, holder);
  return takeSlotOf(store, job, holder, leaseSeconds, [...seen.mine, ...seen.free], tries);
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
  return (
    await updateIf(store, {
      Key: slotKey(job.jobId, job.epoch, slot),
      UpdateExpression: "SET holder = :me, #u = :until, expiresAt = :exp",
      ConditionExpression: orFree ? `${slotClauses.free} OR ${slotClauses.mine}` : slotClauses.mine,
      ExpressionAttributeNames: { "#u": "until" },
      ExpressionAttributeValues: {
        ":me": { S: holder },
        ":until": { N: String(now + leaseSeconds * 1000) },
        ":exp": { N: String(expiresAt(store)) },
        ...(orFree ? { ":now": { N: String(now) } } : {}),
      },
    })
  ).written;
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
  await updateIf(store, {
    Key: slotKey(job.jobId, job.epoch, slot),
    UpdateExpression: runMs === undefined ? "REMOVE holder, #u" : "SET lastRunMs = :ms REMOVE holder, #u",
    ConditionExpression: slotClauses.mine,
    ExpressionAttributeNames: { "#u": "until" },
    ExpressionAttributeValues: {
      ":me": { S: holder },
      ...(runMs === undefined ? {} : { ":ms": { N: String(Math.round(runMs)) } }),
    },
  });
}
