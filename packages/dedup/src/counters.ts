import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { shardKey, shardOf, TaskStatus } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

/**
 * Counts a task's outcome in its job's counter shard. The shard holds *sets* of task indexes, so
 * writing the same outcome twice changes nothing: counts are exact by construction, never inflated
 * by a retry. A success also removes the index from the failed set (a retried or redriven task).
 */
export async function countOutcome(
  store: DedupStore,
  jobId: string,
  index: number,
  status: typeof TaskStatus.Succeeded | typeof TaskStatus.Failed,
): Promise<void> {
  await store.client.send(
    new UpdateItemCommand({
      TableName: store.tableName,
      Key: shardKey(jobId, shardOf(index)),
      UpdateExpression:
        status === TaskStatus.Succeeded
          ? "ADD ok :i DELETE failed :i SET expiresAt = if_not_exists(expiresAt, :exp)"
          : "ADD failed :i SET expiresAt = if_not_exists(expiresAt, :exp)",
      ExpressionAttributeValues: { ":i": { NS: [String(index)] }, ":exp": { N: String(expiresAt(store)) } },
    }),
  );
}

/** Removes a task from the failed set, when a redrive gives it another run. */
export async function uncountFailure(store: DedupStore, jobId: string, index: number): Promise<void> {
  await store.client.send(
    new UpdateItemCommand({
      TableName: store.tableName,
      Key: shardKey(jobId, shardOf(index)),
      UpdateExpression: "DELETE failed :i",
      ExpressionAttributeValues: { ":i": { NS: [String(index)] } },
    }),
  );
}
