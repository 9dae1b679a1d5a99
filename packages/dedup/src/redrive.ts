import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { uncountFailure } from "./counters.ts";
import { conditionFailure } from "./errors.ts";
import { TaskStatus, taskKey } from "./keys.ts";
import type { DedupStore } from "./store.ts";

/**
 * Makes a FAILED task claimable again (REQUEUED) before its message is sent back to the tasks queue,
 * and takes it out of the failed count. Also a task left RUNNING by a worker that died (its lease has
 * expired: no live run can still record an outcome for it, G1). Never a task that succeeded or runs
 * under a live lease, so a redrive cannot cause a second run of it.
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
        UpdateExpression: "SET #s = :requeued, requeuedAt = :now REMOVE #l, #o",
        ConditionExpression: "#s = :failed OR (#s = :running AND #l < :now)",
        ExpressionAttributeNames: { "#s": "status", "#l": "leaseUntil", "#o": "owner" },
        ExpressionAttributeValues: {
          ":requeued": { S: TaskStatus.Requeued },
          ":failed": { S: TaskStatus.Failed },
          ":running": { S: TaskStatus.Running },
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
