import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { type TaskStatus, taskKey } from "./keys.ts";
import type { DedupStore } from "./store.ts";

export interface TaskRecord {
  taskId: string;
  status: TaskStatus;
  attempts: number;
  lastError?: string;
  leaseUntil?: number;
}

/** Reads one task record (for status views and tests; the hot path never reads before it writes). */
export async function readTask(store: DedupStore, taskId: string): Promise<TaskRecord | undefined> {
  const out = await store.client.send(
    new GetItemCommand({ TableName: store.tableName, Key: taskKey(taskId), ConsistentRead: true }),
  );
  const item = out.Item;
  if (!item?.status?.S) return undefined;
  return {
    taskId,
    status: item.status.S as TaskStatus,
    attempts: Number(item.attempts?.N ?? 0),
    ...(item.lastError?.S ? { lastError: item.lastError.S } : {}),
    ...(item.leaseUntil?.N ? { leaseUntil: Number(item.leaseUntil.N) } : {}),
  };
}
