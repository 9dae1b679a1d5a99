import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { uncountFailure } from "./counters.ts";
import { conditionFailure } from "./errors.ts";
import { TaskStatus, taskKey } from "./keys.ts";
import type { DedupStore } from "./store.ts";

/** How far an operator's clock may run ahead of Lambda's before a live lease could look expired. */
export const leaseClockSkewMs = 60_000;

/**
 * Makes a FAILED task claimable again (REQUEUED) before its message is sent back to the tasks queue,
 * and takes it out of the failed count. Also a task left RUNNING by a worker that died (its lease has
 * expired, by more than {@link leaseClockSkewMs}: no live run can still record an outcome for it, G1). Never a task that succeeded or runs
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
        ConditionExpression: "#s = :failed OR (#s = :running AND #l < :expiredBefore)",
        ExpressionAttributeNames: { "#s": "status", "#l": "leaseUntil", "#o": "owner" },
        ExpressionAttributeValues: {
          ":requeued": { S: TaskStatus.Requeued },
          ":failed": { S: TaskStatus.Failed },
          ":running": { S: TaskStatus.Running },
          ":now": { N: String(store.now()) },
          // The lease was set by the worker's clock, this runs on an operator's: allow for skew.
          ":expiredBefore": { N: String(store.now() - leaseClockSkewMs) },
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
