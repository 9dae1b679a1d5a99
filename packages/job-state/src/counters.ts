import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Item } from "./condition-failure.ts";
import { type Counted, counterKey, shardOf } from "./keys.ts";
import { counterExpiry, type DedupStore, type JobExpiry } from "./store.ts";
import { updateItem } from "./table.ts";

/** What a counter shard records about a task: its final outcome or a pending retry. */
export type CountedStatus = "SUCCEEDED" | "FAILED" | "CANCELLED" | "RETRYING";

/**
 * Each status's update of the shard's index *sets* (`ok`, `failed` for good, `cancelled`, `retrying` while
 * Lambda will retry): writing the same status twice changes nothing, so counts are exact by construction,
 * never inflated by a retry. Each outcome takes the index out of the other outcome sets (a failure judged
 * final may be retried by Lambda anyway) and out of `running` (the consumer's in-flight set, {@link countInFlight}).
 */
const updates: Record<CountedStatus, string> = {
  SUCCEEDED: "ADD ok :i DELETE failed :i, retrying :i, running :i",
  // `fx`: every index ever counted a final failure here (never taken out), so a later outcome of the task
  // knows its failure was carried up and must be taken back a level up (completion.ts).
  FAILED: "ADD failed :i, fx :i DELETE retrying :i, running :i",
  // A task's last word: out of `failed` too (a failure judged final that Lambda retried anyway).
  CANCELLED: "ADD cancelled :i DELETE failed :i, retrying :i, running :i",
  RETRYING: "ADD retrying :i DELETE failed :i, running :i",
};

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
  // `w` counts the shard's writes (the first one announces the shard); `ver` its versioned states.
  const expiry = counterExpiry(store, job);
  // Awaited here, so that the explorer names this function as the call site (async stack traces).
  return await updateItem(
    store,
    shardUpdate(
      counterKey(task, shardOf(job, task.index)),
      `${updates[status].replace(/^ADD (\w+) :i/, "ADD $1 :i, w :one, ver :one")}${expiry.set ? ` SET ${expiry.set}` : ""}`,
      [task.index],
      { ...expiry.values, ":one": { N: "1" } },
    ),
  );
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
export async function uncountFailure(store: DedupStore, task: CountedTask, job: Counted): Promise<Item> {
  return await updateItem(
    store,
    shardUpdate(
      counterKey(task, shardOf(job, task.index)),
      "DELETE failed :i, retrying :i ADD ver :one",
      [task.index],
      {
        ":one": { N: "1" },
      },
    ),
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
