import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { absentClause } from "./claims.ts";
import { conditionFailure } from "./condition-failure.ts";
import { uncountFailure } from "./counters.ts";
import { TaskStatus, taskKey } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

/** How far an operator's clock may run ahead of Lambda's before a live lease could look expired. */
export const leaseClockSkewMs = 60_000;

/** The states a redrive may take a task back from, each as one clause of the condition. */
export const requeueClauses = {
  /** The task's last run failed. */
  failed: "#s = :failed",
  /** A worker died RUNNING: its lease ended (by more than the allowed clock skew). */
  deadRun: "(#s = :running AND #l < :expiredBefore)",
  /** A consumer died CLAIMED before it dispatched: its claim lease ended. */
  deadClaim: "(#s = :claimed AND #l < :expiredBefore)",
  /**
   * The event being redriven is the task's latest dispatch, and it never ran (aged out, or every attempt
   * failed before the worker's first write): nothing else will run the task.
   */
  failedDispatch: "(#s = :dispatched AND dispatchId = :rid)",
  /** A worker deferred the task (no concurrency slot) and died before its message was sent back. */
  deferred: "#s = :requeued",
} as const;

/**
 * Makes a task claimable again (REQUEUED) before its message is sent back to the tasks queue, and takes
 * it out of the failed count: one of {@link requeueClauses} must hold (leases count as ended only past
 * {@link leaseClockSkewMs}). Never a task that succeeded, runs or is claimed under a live lease, or was
 * dispatched again after the failed event, so a redrive cannot cause a second run of it.
 */
export async function requeueTask(
  store: DedupStore,
  task: { taskId: string; jobId: string; index: number; epoch?: number },
  /** The request id of the event whose on-failure record is being redriven. */
  failedDispatchId?: string,
): Promise<boolean> {
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: taskKey(task.taskId),
        UpdateExpression: "SET #s = :requeued, requeuedAt = :now REMOVE #l, #o",
        // Only the same incarnation: a record of an older one is as good as absent (the consumer claims it).
        ConditionExpression: `#ep = :ep AND (${[
          requeueClauses.failed,
          requeueClauses.deadRun,
          requeueClauses.deadClaim,
          requeueClauses.deferred,
          ...(failedDispatchId === undefined ? [] : [requeueClauses.failedDispatch]),
        ].join(" OR ")})`,
        ExpressionAttributeNames: { "#s": "status", "#l": "leaseUntil", "#o": "owner", "#ep": "epoch" },
        ExpressionAttributeValues: {
          ":requeued": { S: TaskStatus.Requeued },
          ":failed": { S: TaskStatus.Failed },
          ":running": { S: TaskStatus.Running },
          ":claimed": { S: TaskStatus.Claimed },
          ":ep": { N: String(task.epoch ?? 0) },
          ...(failedDispatchId === undefined
            ? {}
            : { ":dispatched": { S: TaskStatus.Dispatched }, ":rid": { S: failedDispatchId } }),
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
  await uncountFailure(store, task.jobId, task.index, task.epoch ?? 0);
  return true;
}

export type DeferResult =
  | { deferred: true }
  /** Not deferrable: the state the task was found in (a newer incarnation's record counts as `superseded`). */
  | { deferred: false; status: TaskStatus | undefined; leaseUntil?: number; superseded: boolean };

/**
 * Makes a dispatched task claimable again without running it, before the worker sends its message back to
 * the tasks queue: used when a job's concurrency cap is reached. Allowed from the states in which nothing
 * runs the task (no record, CLAIMED, DISPATCHED, a retryable FAILED, a RUNNING lease that ended) of the same
 * incarnation, or REQUEUED by this same event (its retry after the message could not be sent). If the worker
 * dies before the message is sent, Lambda retries the event, which defers again and sends it; once its
 * retries are spent, `failed redrive` requeues it (clause `deferred`).
 */
export async function deferTask(
  store: DedupStore,
  task: { taskId: string; jobId: string; index: number; epoch?: number },
  /** The worker event that defers (its request id): its own retry may defer again (resend the message). */
  eventId: string,
): Promise<DeferResult> {
  const epoch = task.epoch ?? 0;
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: taskKey(task.taskId),
        UpdateExpression:
          "SET #s = :requeued, requeuedAt = :now, deferredBy = :event, #e = if_not_exists(#e, :exp), #ep = :ep, jobId = :job, idx = :idx REMOVE #l, #o",
        // No record (a worker invoked by hand) too: the message sent back then goes through a claim. Not a
        // task another event or a redrive requeued: its message is out already.
        ConditionExpression: `${absentClause} OR (#ep = :ep AND (#s IN (:claimed, :dispatched) OR (#s = :requeued AND deferredBy = :event) OR (#s = :failed AND finalFailure = :false) OR (#s = :running AND #l < :nowMs)))`,
        ExpressionAttributeNames: {
          "#s": "status",
          "#l": "leaseUntil",
          "#o": "owner",
          "#ep": "epoch",
          "#e": "expiresAt",
        },
        ExpressionAttributeValues: {
          ":requeued": { S: TaskStatus.Requeued },
          ":claimed": { S: TaskStatus.Claimed },
          ":dispatched": { S: TaskStatus.Dispatched },
          ":failed": { S: TaskStatus.Failed },
          ":running": { S: TaskStatus.Running },
          ":false": { BOOL: false },
          ":ep": { N: String(epoch) },
          ":now": { N: String(store.now()) },
          ":nowMs": { N: String(store.now()) },
          ":nowSec": { N: String(Math.floor(store.now() / 1000)) },
          ":exp": { N: String(expiresAt(store)) },
          ":job": { S: task.jobId },
          ":idx": { N: String(task.index) },
          ":event": { S: eventId },
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return { deferred: true };
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    const item = refused.item;
    return {
      deferred: false,
      status: item?.status?.S as TaskStatus | undefined,
      ...(item?.leaseUntil?.N === undefined ? {} : { leaseUntil: Number(item.leaseUntil.N) }),
      superseded: Number(item?.epoch?.N ?? 0) > epoch,
    };
  }
}
