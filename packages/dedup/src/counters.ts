import { type AttributeValue, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { shardKey, shardOf, TaskStatus } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

/**
 * Counts a task's outcome in its job's counter shard. The shard holds *sets* of task indexes (`ok`,
 * `failed` for good, `retrying` while Lambda will retry), so writing the same outcome twice changes
 * nothing: counts are exact by construction, never inflated by a retry. A success takes the index out of
 * the other two sets, a final failure out of `retrying`.
 */
export async function countOutcome(
  store: DedupStore,
  jobId: string,
  index: number,
  status: typeof TaskStatus.Succeeded | typeof TaskStatus.Failed | "RETRYING",
  epoch = 0,
): Promise<void> {
  await updateShard(
    store,
    jobId,
    epoch,
    index,
    status === TaskStatus.Succeeded
      ? "ADD ok :i DELETE failed :i, retrying :i SET expiresAt = if_not_exists(expiresAt, :exp)"
      : status === TaskStatus.Failed
        ? "ADD failed :i DELETE retrying :i SET expiresAt = if_not_exists(expiresAt, :exp)"
        : "ADD retrying :i SET expiresAt = if_not_exists(expiresAt, :exp)",
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
): Promise<void> {
  await store.client.send(
    new UpdateItemCommand({
      TableName: store.tableName,
      Key: shardKey(jobId, epoch, shardOf(index)),
      UpdateExpression: update,
      ExpressionAttributeValues: { ":i": { NS: [String(index)] }, ...values },
    }),
  );
}
