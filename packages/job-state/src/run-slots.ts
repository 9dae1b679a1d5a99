import type { Item } from "./condition-failure.ts";
import { runSlotClauses } from "./job-clauses.ts";
import { batchGetAll } from "./jobs.ts";
import type { DedupStore } from "./store.ts";
import { updateIf } from "./table.ts";

/**
 * Consumer run slots: a consumer run drains the queue only while it holds one of `max_parallel` slots,
 * so scale-out never runs more consumers at once than the setting, whoever starts them (the schedule, a
 * nudge, a run that scales out, a hand-invoke). A slot is a lease: a run that dies frees it when the lease
 * ends (ADR 0013). A pool is named after the consumer function, so that runs of two consumers never share
 * slots.
 */
export const runSlotKey = (pool: string, slot: number) => ({ pk: { S: `RUN#${pool}#${slot}` } });

const isLive = (item: Item | undefined, now: number) =>
  Boolean(item?.owner?.S) && Number(item?.leaseUntil?.N ?? 0) >= now;

/** Which of slots 0..count-1 are held by a live run (one eventually consistent read of them all). */
export async function liveRunSlots(store: DedupStore, pool: string, count: number): Promise<Set<number>> {
  const keys = Array.from({ length: count }, (_, k) => runSlotKey(pool, k));
  const items = await batchGetAll(store, keys, false);
  const now = store.now();
  return new Set(
    items.filter((item) => isLive(item, now)).map((item) => Number(item.pk?.S?.split("#").at(-1) ?? -1)),
  );
}

/**
 * Takes run slot `slot` for `owner` until `leaseMs` from now, if no live run holds it. `owner` must be unique
 * per attempt (`<requestId>/<nonce>`), not the request id: "or mine" lets a retried write of this take
 * succeed, and two deliveries of one event (one request id) must not both pass it (G7).
 */
export async function takeRunSlot(
  store: DedupStore,
  pool: string,
  slot: number,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const now = store.now();
  return (
    await updateIf(store, {
      Key: runSlotKey(pool, slot),
      UpdateExpression: "SET #owner = :me, leaseUntil = :until",
      ConditionExpression: `${runSlotClauses.free} OR ${runSlotClauses.mine}`,
      ExpressionAttributeNames: { "#owner": "owner" },
      ExpressionAttributeValues: {
        ":me": { S: owner },
        ":until": { N: String(now + leaseMs) },
        ":now": { N: String(now) },
      },
    })
  ).written;
}

/** Frees the slot at the end of the run (only if `owner` still holds it). */
export async function releaseRunSlot(
  store: DedupStore,
  pool: string,
  slot: number,
  owner: string,
): Promise<void> {
  await updateIf(store, {
    Key: runSlotKey(pool, slot),
    UpdateExpression: "REMOVE #owner, leaseUntil",
    ConditionExpression: runSlotClauses.mine,
    ExpressionAttributeNames: { "#owner": "owner" },
    ExpressionAttributeValues: { ":me": { S: owner } },
  });
}
