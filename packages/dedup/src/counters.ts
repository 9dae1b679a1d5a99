import { type AttributeValue, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { Item } from "./condition-failure.ts";
import { shardKey, shardOf, type TaskStatus } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

/** What a counter shard records about a task: its final outcome, a pending retry, or that it runs now. */
export type CountedStatus =
  | typeof TaskStatus.Succeeded
  | typeof TaskStatus.Failed
  | typeof TaskStatus.Cancelled
  | "RETRYING"
  | typeof TaskStatus.Running;

/**
 * Each status's update of the shard's index *sets* (`ok`, `failed` for good, `cancelled`, `retrying` while
 * Lambda will retry, `running`): writing the same status twice changes nothing, so counts are exact by
 * construction, never inflated by a retry. Each outcome takes the index out of the other outcome sets (a
 * failure judged final may be retried by Lambda anyway) and out of `running`.
 */
const updates: Record<CountedStatus, string> = {
  SUCCEEDED: "ADD ok :i DELETE failed :i, retrying :i, running :i",
  FAILED: "ADD failed :i DELETE retrying :i, running :i",
  // A task's last word: out of `failed` too (a failure judged final that Lambda retried anyway).
  CANCELLED: "ADD cancelled :i DELETE failed :i, retrying :i, running :i",
  RETRYING: "ADD retrying :i DELETE failed :i, running :i",
  RUNNING: "ADD running :i",
};

/**
 * Counts a task's status in its job's counter shard and returns the shard as it is now (its sets tell
 * whether this write completed the shard).
 */
export async function countOutcome(
  store: DedupStore,
  jobId: string,
  index: number,
  status: CountedStatus,
  epoch = 0,
): Promise<Item> {
  return updateShard(
    store,
    jobId,
    epoch,
    index,
    `${updates[status]} SET expiresAt = if_not_exists(expiresAt, :exp)`,
    { ":exp": { N: String(expiresAt(store)) } },
  );
}

/** Removes a task from the failed set, when a redrive gives it another run. */
export async function uncountFailure(
  store: DedupStore,
  jobId: string,
  index: number,
  epoch = 0,
): Promise<void> {
  await updateShard(store, jobId, epoch, index, "DELETE failed :i, retrying :i");
}

/** Applies `update` to the counter shard of task `index`, with `:i` bound to the index as a number set. */
async function updateShard(
  store: DedupStore,
  jobId: string,
  epoch: number,
  index: number,
  update: string,
  values: Record<string, AttributeValue> = {},
): Promise<Item> {
  const out = await store.client.send(
    new UpdateItemCommand({
      TableName: store.tableName,
      Key: shardKey(jobId, epoch, shardOf(index)),
      UpdateExpression: update,
      ExpressionAttributeValues: { ":i": { NS: [String(index)] }, ...values },
      ReturnValues: "ALL_NEW",
    }),
  );
  return out.Attributes ?? {};
}
