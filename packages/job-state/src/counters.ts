import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Item } from "./condition-failure.ts";
import { type FoldStatus, oneWrite, type ShardDelta, shardDelta } from "./fold.ts";
import { type Counted, counterKey, shardOf } from "./keys.ts";
import { counterExpiry, type DedupStore, type JobExpiry } from "./store.ts";
import { updateItem } from "./table.ts";

/**
 * What a counter shard records about a task: its final outcome or a pending retry, each an index *set*
 * (`ok`, `failed` for good, `cancelled`, `retrying` while Lambda will retry; fold.ts's `setsOf` says which
 * each adds to and takes out of): writing the same status twice changes nothing, so counts are exact by
 * construction, never inflated by a retry.
 */
export type CountedStatus = Exclude<FoldStatus, "UNCOUNTED">;

/** The task a counter write is about. */
export interface CountedTask {
  jobId: string;
  index: number;
  epoch: number;
}

/**
 * Counts a task's status in its job's counter shard (placed by the job's layout) and returns the shard as it
 * is now (its sets tell whether this write completed the shard). Each also raises the shard's version `ver`,
 * by which its group item keeps only the newest state (completion.ts). The job's `expiresAt` decides the
 * shard's ({@link counterExpiry}): none while the job runs.
 */
export async function countOutcome(
  store: DedupStore,
  task: CountedTask,
  status: CountedStatus,
  job: Counted & JobExpiry,
): Promise<Item> {
  return await countDelta(store, task, shardOf(job, task.index), shardDelta([[task.index, status]]), job);
}

/**
 * Applies a shard's set operations (fold.ts: each status's sets, e.g. SUCCEEDED adds to `ok` and takes out of
 * `failed`, `retrying` and `running`): one update, or two when one set is both added to and taken from (the
 * removals first). Sets make it idempotent: a retried or repeated write changes nothing. Each write raises the
 * shard's version `ver` (its group item keeps only the newest state, completion.ts); one that adds counts in
 * `w` (the shard's first write announces it). Returns the shard as the last write left it.
 */
export async function countDelta(
  store: DedupStore,
  incarnation: { jobId: string; epoch: number },
  k: number,
  delta: ShardDelta,
  job: Counted & JobExpiry,
): Promise<Item> {
  const expiry = counterExpiry(store, job);
  const write = async (add: ShardDelta["add"], remove: ShardDelta["remove"]) => {
    const values: Record<string, AttributeValue> = { ...expiry.values, ":one": { N: "1" } };
    const set = (name: string, indexes: readonly number[]) => {
      const ref = `:s${Object.keys(values).length}`;
      values[ref] = { NS: indexes.map(String) };
      return `${name} ${ref}`;
    };
    const adds = [...add].map(([name, indexes]) => set(name, indexes));
    const removes = [...remove].map(([name, indexes]) => set(name, indexes));
    const update = [
      `ADD ${[...adds, ...(adds.length > 0 ? ["w :one"] : []), "ver :one"].join(", ")}`,
      ...(removes.length > 0 ? [`DELETE ${removes.join(", ")}`] : []),
      ...(expiry.set ? [`SET ${expiry.set}`] : []),
    ].join(" ");
    // Awaited here, so that the explorer names this function as the call site (async stack traces).
    return await updateItem(store, {
      Key: counterKey(incarnation, k),
      UpdateExpression: update,
      ExpressionAttributeValues: values,
    });
  };
  if (oneWrite(delta)) return await write(delta.add, delta.remove);
  await write(new Map(), delta.remove);
  return await write(delta.add, new Map());
}

/**
 * Adds tasks the consumer handed to the worker to their shard's `running` set (in flight: dispatched, not
 * final, no retry pending), for status only: one write for the tasks of one shard that a consumer run
 * dispatched in a second (ADR 0015, decision 3). Not versioned (no group item reads it); `w` counts it, so
 * it may announce the shard.
 * `indexes` must all lie in shard `k`.
 */
export async function countInFlight(
  store: DedupStore,
  job: Counted & JobExpiry & { jobId: string; epoch: number },
  k: number,
  indexes: readonly number[],
): Promise<Item> {
  const expiry = counterExpiry(store, job);
  return await updateItem(
    store,
    shardUpdate(
      counterKey(job, k),
      `ADD running :i, w :one${expiry.set ? ` SET ${expiry.set}` : ""}`,
      indexes,
      {
        ...expiry.values,
        ":one": { N: "1" },
      },
    ),
  );
}

/** Removes a task from the failed set, when a redrive gives it another run; returns the shard as it is now. */
export async function uncountFailure(
  store: DedupStore,
  task: CountedTask,
  job: Counted & JobExpiry,
): Promise<Item> {
  return await countDelta(
    store,
    task,
    shardOf(job, task.index),
    shardDelta([[task.index, "UNCOUNTED"]]),
    job,
  );
}

/** A counter shard's update, with `:i` bound to `indexes` as a number set. */
function shardUpdate(
  key: Item,
  update: string,
  indexes: readonly number[],
  values: Record<string, AttributeValue>,
) {
  return {
    Key: key,
    UpdateExpression: update,
    ExpressionAttributeValues: { ":i": { NS: indexes.map(String) }, ...values },
  };
}
