import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { countOutcome } from "./counters.ts";
import { conditionFailure } from "./errors.ts";
import { TaskStatus, taskKey } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

export interface RunRef {
  taskId: string;
  jobId: string;
  index: number;
  /** The invocation that runs the task (its request id). */
  owner: string;
}

export type StartResult =
  /** This invocation holds the RUNNING lease and must run the task. */
  | { outcome: "started"; attempt: number }
  /** The task already SUCCEEDED: a duplicate event, do not run it again (G3). */
  | { outcome: "done" }
  /** Another invocation is running it right now. */
  | { outcome: "busy"; leaseUntil: number };

/**
 * Takes the RUNNING lease with one conditional write. Allowed from any state but SUCCEEDED and a live
 * RUNNING lease: CLAIMED (the worker may start before the consumer records DISPATCHED), DISPATCHED,
 * FAILED (Lambda's retry of a failed attempt), REQUEUED, an expired RUNNING lease (a crashed attempt),
 * or no record at all (a worker invoked by hand). A live lease is never taken over, not even by the same
 * request id: Lambda can deliver one event twice at once under one request id, so only the lease's end
 * (it outlasts the function timeout, by which Lambda has stopped the holder) proves the holder gone.
 * `owner` is unique per invocation attempt (ADR 0005).
 */
export async function startRun(store: DedupStore, run: RunRef, leaseSeconds: number): Promise<StartResult> {
  const now = store.now();
  const leaseUntil = now + leaseSeconds * 1000;
  try {
    const out = await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: taskKey(run.taskId),
        UpdateExpression:
          "SET #s = :running, #o = :owner, #l = :lease, #e = if_not_exists(#e, :exp), jobId = :job, idx = :idx ADD attempts :one",
        ConditionExpression:
          "attribute_not_exists(pk) OR #e < :nowSec OR (#s <> :running AND #s <> :succeeded) OR (#s = :running AND #l < :now)",
        ExpressionAttributeNames: { "#s": "status", "#o": "owner", "#l": "leaseUntil", "#e": "expiresAt" },
        ExpressionAttributeValues: {
          ":running": { S: TaskStatus.Running },
          ":succeeded": { S: TaskStatus.Succeeded },
          ":owner": { S: run.owner },
          ":lease": { N: String(leaseUntil) },
          ":now": { N: String(now) },
          ":nowSec": { N: String(Math.floor(now / 1000)) },
          ":exp": { N: String(expiresAt(store)) },
          ":job": { S: run.jobId },
          ":idx": { N: String(run.index) },
          ":one": { N: "1" },
        },
        ReturnValues: "UPDATED_NEW",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return { outcome: "started", attempt: Number(out.Attributes?.attempts?.N ?? 1) };
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    const item = refused.item;
    if (item?.status?.S === TaskStatus.Succeeded) return { outcome: "done" };
    return { outcome: "busy", leaseUntil: Number(item?.leaseUntil?.N ?? now) };
  }
}

export type RunOutcome =
  | { status: "SUCCEEDED" }
  | { status: "FAILED"; error: { type: string; message: string } };

/**
 * Records the outcome (only the lease holder can), then the job counter. The two writes are not
 * atomic, but the counter write is idempotent and is repeated by {@link recountSucceeded} on a
 * duplicate event, so a crash between them leaves the counter short only until the retry. Safe to call
 * again after a lost answer: a refusal that finds this owner's own outcome already written counts as done.
 */
export async function finishRun(store: DedupStore, run: RunRef, outcome: RunOutcome): Promise<boolean> {
  const failed = outcome.status === "FAILED";
  try {
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: taskKey(run.taskId),
        UpdateExpression: failed
          ? "SET #s = :status, lastError = :err, finishedAt = :now REMOVE #l"
          : "SET #s = :status, finishedAt = :now REMOVE #l, lastError",
        ConditionExpression: "#s = :running AND #o = :owner",
        ExpressionAttributeNames: { "#s": "status", "#o": "owner", "#l": "leaseUntil" },
        ExpressionAttributeValues: {
          ":status": { S: outcome.status },
          ":running": { S: TaskStatus.Running },
          ":owner": { S: run.owner },
          ":now": { N: String(store.now()) },
          ...(failed ? { ":err": { S: JSON.stringify(outcome.error).slice(0, 4_000) } } : {}),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    // Our own earlier attempt of this write took effect (its answer was lost): go on to the counter.
    const mine = refused.item?.owner?.S === run.owner && refused.item?.status?.S === outcome.status;
    if (!mine) return false;
  }
  await countOutcome(store, run.jobId, run.index, outcome.status);
  return true;
}

/** Re-applies a succeeded task's counter write; idempotent, used when a duplicate event meets SUCCEEDED. */
export async function recountSucceeded(
  store: DedupStore,
  run: Pick<RunRef, "jobId" | "index">,
): Promise<void> {
  await countOutcome(store, run.jobId, run.index, TaskStatus.Succeeded);
}
