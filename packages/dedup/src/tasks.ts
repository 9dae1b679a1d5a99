import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { batchGetAll, type DedupStore, type Item, type JobInfo } from "@fanout/job-state";
import { type TaskStatus, taskKey } from "./task-keys.ts";

export interface TaskRecord {
  taskId: string;
  status: TaskStatus;
  attempts: number;
  lastError?: string;
  leaseUntil?: number;
  /** The handler's result as JSON text, on a SUCCEEDED task that returned one. */
  result?: string;
  /** The job incarnation the record belongs to (absent on a record written before epochs). */
  epoch?: number;
  /** The request id of the task's latest dispatch, if a v0.1.0 consumer recorded it. */
  dispatchId?: string;
  /** The dispatch token of the task's latest claim (or of the event that ran it last). */
  token?: string;
  /** On a FAILED task: the worker judged the failure final (no retry of Lambda's to come). */
  finalFailure?: boolean;
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
    ...(item.result?.S === undefined ? {} : { result: item.result.S }),
    ...(item.epoch?.N === undefined ? {} : { epoch: Number(item.epoch.N) }),
    ...(item.dispatchId?.S === undefined ? {} : { dispatchId: item.dispatchId.S }),
    ...(item.token?.S === undefined ? {} : { token: item.token.S }),
    ...(item.finalFailure?.BOOL === true ? { finalFailure: true } : {}),
  };
}

/** One task's outcome as `fanout results` prints it. */
export interface TaskResult {
  index: number;
  /** `pending` when the task has no record of this incarnation yet (still queued). */
  status:
    | "pending"
    | "claimed"
    | "dispatched"
    | "running"
    | "succeeded"
    | "failed"
    | "requeued"
    | "cancelled";
  /** The handler's result (parsed JSON), on a success that returned one. */
  result?: unknown;
  /** The recorded error `{type, message}`, on a failure. */
  error?: { type: string; message: string };
  /** On a failure: true when no retry will follow. */
  final?: boolean;
}

function resultOf(index: number, item: Item | undefined, epoch: number): TaskResult {
  if (!item?.status?.S || Number(item.epoch?.N ?? 0) !== epoch) return { index, status: "pending" };
  const status = item.status.S.toLowerCase() as TaskResult["status"];
  if (status === "succeeded")
    return item.result?.S === undefined
      ? { index, status }
      : { index, status, result: JSON.parse(item.result.S) };
  if (status === "failed") {
    let error: TaskResult["error"];
    try {
      error = JSON.parse(item.lastError?.S ?? "{}");
    } catch {
      error = { type: "Error", message: item.lastError?.S ?? "" };
    }
    return { index, status, ...(error ? { error } : {}), final: item.finalFailure?.BOOL === true };
  }
  return { index, status };
}

/**
 * Reads the outcomes of tasks `from` .. `from + count - 1` of a job incarnation, in index order: one
 * BatchGetItem per 100 tasks (in parallel), one read unit per task of up to 4 KB.
 */
export async function readResults(
  store: DedupStore,
  job: Pick<JobInfo, "jobId" | "epoch" | "total">,
  range: { from: number; count: number },
): Promise<TaskResult[]> {
  const end = Math.min(job.total, range.from + range.count);
  const indexes = Array.from({ length: Math.max(0, end - range.from) }, (_, i) => range.from + i);
  const items = await batchGetAll(
    store,
    indexes.map((i) => taskKey(`${job.jobId}#${i}`)),
  );
  const byIndex = new Map(items.map((item) => [Number(item.idx?.N ?? -1), item]));
  return indexes.map((i) => resultOf(i, byIndex.get(i), job.epoch));
}
