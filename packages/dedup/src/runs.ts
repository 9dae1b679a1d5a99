import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { absentClause } from "./claims.ts";
import { conditionFailure } from "./condition-failure.ts";
import { countOutcome } from "./counters.ts";
import { TaskStatus, taskKey } from "./keys.ts";
import { type DedupStore, expiresAt } from "./store.ts";

export interface RunRef {
  taskId: string;
  jobId: string;
  index: number;
  /** The attempt that runs the task: unique per invocation attempt. */
  owner: string;
  /** The job's incarnation (see `recordJob`). @default 0 */
  epoch?: number;
  /** The Lambda event (its request id): attempts are counted per event, to know when retries are spent. */
  eventId?: string;
}

export type StartResult =
  /**
   * This invocation holds the RUNNING lease and must run the task. `attempt` counts runs of the task,
   * `eventAttempt` runs of this event (1 on its first delivery); `dispatchedAt` is when the consumer
   * handed the event to Lambda, if it recorded it.
   */
  | { outcome: "started"; attempt: number; eventAttempt: number; dispatchedAt: number | undefined }
  /** The task already SUCCEEDED: a duplicate event, do not run it again (G3). */
  | { outcome: "done" }
  /** Another invocation is running it right now. */
  | { outcome: "busy"; leaseUntil: number }
  /** The event belongs to an older incarnation of a reused jobId: that job is over, do not run it. */
  | { outcome: "superseded" };

/** The clauses under which an attempt of the same incarnation may take the RUNNING lease. */
export const startClauses = {
  /** CLAIMED, DISPATCHED, FAILED (Lambda's retry) or REQUEUED: not running, not done. */
  idle: "(#s <> :running AND #s <> :succeeded)",
  /** A run whose lease ended: its attempt was stopped by Lambda's timeout, or crashed. */
  deadRun: "(#s = :running AND #l < :now)",
} as const;

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
  const epoch = run.epoch ?? 0;
  try {
    const out = await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: taskKey(run.taskId),
        UpdateExpression:
          "SET #s = :running, #o = :owner, #l = :lease, #e = if_not_exists(#e, :exp), #ep = :ep, jobId = :job, idx = :idx ADD attempts :one, #ev :one",
        ConditionExpression: `${absentClause} OR (#ep = :ep AND (${startClauses.idle} OR ${startClauses.deadRun}))`,
        ExpressionAttributeNames: {
          "#s": "status",
          "#o": "owner",
          "#l": "leaseUntil",
          "#e": "expiresAt",
          "#ep": "epoch",
          // One counter per event, named by its request id.
          "#ev": `ev:${run.eventId ?? run.owner}`,
        },
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
          ":ep": { N: String(epoch) },
        },
        ReturnValues: "ALL_NEW",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    const item = out.Attributes ?? {};
    return {
      outcome: "started",
      attempt: Number(item.attempts?.N ?? 1),
      eventAttempt: Number(item[`ev:${run.eventId ?? run.owner}`]?.N ?? 1),
      dispatchedAt: item.dispatchedAt?.N === undefined ? undefined : Number(item.dispatchedAt.N),
    };
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    const item = refused.item;
    if (Number(item?.epoch?.N ?? 0) > epoch) return { outcome: "superseded" };
    if (item?.status?.S === TaskStatus.Succeeded) return { outcome: "done" };
    return { outcome: "busy", leaseUntil: Number(item?.leaseUntil?.N ?? now) };
  }
}

export type RunOutcome =
  | { status: "SUCCEEDED" }
  /** `final`: Lambda will not retry this event (its retries are spent, or its age will be past by then). */
  | { status: "FAILED"; error: { type: string; message: string }; final: boolean };

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
          ? "SET #s = :status, lastError = :err, finalFailure = :final, finishedAt = :now REMOVE #l"
          : "SET #s = :status, finishedAt = :now REMOVE #l, lastError, finalFailure",
        ConditionExpression: "#s = :running AND #o = :owner",
        ExpressionAttributeNames: { "#s": "status", "#o": "owner", "#l": "leaseUntil" },
        ExpressionAttributeValues: {
          ":status": { S: outcome.status },
          ":running": { S: TaskStatus.Running },
          ":owner": { S: run.owner },
          ":now": { N: String(store.now()) },
          ...(failed
            ? {
                ":err": { S: JSON.stringify(outcome.error).slice(0, 4_000) },
                ":final": { BOOL: outcome.final },
              }
            : {}),
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
  const counted = outcome.status === "FAILED" && !outcome.final ? "RETRYING" : outcome.status;
  await countOutcome(store, run.jobId, run.index, counted, run.epoch ?? 0);
  return true;
}

/** Re-applies a succeeded task's counter write; idempotent, used when a duplicate event meets SUCCEEDED. */
export async function recountSucceeded(
  store: DedupStore,
  run: Pick<RunRef, "jobId" | "index" | "epoch">,
): Promise<void> {
  await countOutcome(store, run.jobId, run.index, TaskStatus.Succeeded, run.epoch ?? 0);
}
