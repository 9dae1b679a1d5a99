import { type AttributeValue, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { Item } from "./condition-failure.ts";
import { type Counted, counterKey, shardOf } from "./keys.ts";
import { counterExpiry, type DedupStore, type JobExpiry } from "./store.ts";

/** What a counter shard records about a task: its final outcome, a pending retry, or that it runs now. */
export type CountedStatus = "SUCCEEDED" | "FAILED" | "CANCELLED" | "RETRYING" | "RUNNING";

/**
 * Each status's update of the shard's index *sets* (`ok`, `failed` for good, `cancelled`, `retrying` while
 * Lambda will retry, `running`): writing the same status twice changes nothing, so counts are exact by
 * construction, never inflated by a retry. Each outcome takes the index out of the other outcome sets (a
 * failure judged final may be retried by Lambda anyway) and out of `running`.
 */
const updates: Record<CountedStatus, string> = {
  SUCCEEDED: "ADD ok :i DELETE failed :i, retrying :i, running :i",
  // `fx`: every index ever counted a final failure here (never taken out), so a later outcome of the task
  // knows its failure was carried up and must be taken back a level up (completion.ts).
  FAILED: "ADD failed :i, fx :i DELETE retrying :i, running :i",
  // A task's last word: out of `failed` too (a failure judged final that Lambda retried anyway).
  CANCELLED: "ADD cancelled :i DELETE failed :i, retrying :i, running :i",
  RETRYING: "ADD retrying :i DELETE failed :i, running :i",
  RUNNING: "ADD running :i",
};

/** The task a counter write is about. */
export interface CountedTask {
  jobId: string;
  index: number;
  epoch: number;
}

/**
 * Counts a task's status in its job's counter shard (placed by the job's layout) and returns the shard as it
 * is now (its sets tell whether this write completed the shard). Every write but RUNNING also raises the
 * shard's version `ver`, by which its group item keeps only the newest state (completion.ts). The job's
 * `expiresAt` decides the shard's ({@link counterExpiry}): none while the job runs.
 */
export async function countOutcome(
  store: DedupStore,
  task: CountedTask,
  status: CountedStatus,
  job: Counted & JobExpiry,
): Promise<Item> {
  // `w` counts the shard's writes (the first one announces the shard); `ver` its versioned states.
  const extra = status === "RUNNING" ? ", w :one" : ", w :one, ver :one";
  const expiry = counterExpiry(store, job);
  return updateShard(
    store,
    task,
    job,
    `${updates[status].replace(/^ADD (\w+) :i/, `ADD $1 :i${extra}`)}${expiry.set ? ` SET ${expiry.set}` : ""}`,
    { ...expiry.values, ":one": { N: "1" } },
  );
}

/** Removes a task from the failed set, when a redrive gives it another run; returns the shard as it is now. */
export async function uncountFailure(store: DedupStore, task: CountedTask, job: Counted): Promise<Item> {
  return updateShard(store, task, job, "DELETE failed :i, retrying :i ADD ver :one", { ":one": { N: "1" } });
}

/** Applies `update` to the counter shard of task `index`, with `:i` bound to the index as a number set. */
async function updateShard(
  store: DedupStore,
  task: CountedTask,
  job: Counted,
  update: string,
  values: Record<string, AttributeValue> = {},
): Promise<Item> {
  const out = await store.client.send(
    new UpdateItemCommand({
      TableName: store.tableName,
      Key: counterKey(task, shardOf(job, task.index)),
      UpdateExpression: update,
      ExpressionAttributeValues: { ":i": { NS: [String(task.index)] }, ...values },
      ReturnValues: "ALL_NEW",
    }),
  );
  return out.Attributes ?? {};
}
