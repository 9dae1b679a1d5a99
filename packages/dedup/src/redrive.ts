import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { uncountFailure } from "./counters.ts";
import { conditionFailure } from "./errors.ts";
import { TaskStatus, taskKey } from "./keys.ts";
import type { DedupStore } from "./store.ts";

/**
 * Makes a FAILED task claimable again (REQUEUED) before its message is sent back to the tasks queue,
 * and takes it out of the failed count. Only a FAILED task can be requeued: a redrive can never cause
 * a second dispatch of a task that is running or succeeded.
 */
export async function requeueTask(
  store: DedupStore,
  task: { taskId: string; jobId: string; index: number },
): Promise<boolean> {
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: taskKey(task.taskId),
        UpdateExpression: "SET #s = :requeued, requeuedAt = :now",
        ConditionExpression: "#s = :failed",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: {
          ":requeued": { S: TaskStatus.Requeued },
          ":failed": { S: TaskStatus.Failed },
          ":now": { N: String(store.now()) },
        },
      }),
    );
  } catch (error) {
    if (conditionFailure(error)) return false;
    throw error;
  }
  await uncountFailure(store, task.jobId, task.index);
  return true;
}
