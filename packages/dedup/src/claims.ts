import { newDispatchToken } from "@fanout/core";
import { type DedupStore, expiresAt, updateIf } from "@fanout/job-state";
import { TaskStatus, taskKey } from "./task-keys.ts";

export type ClaimResult =
  /**
   * This caller holds the lease and must dispatch the task with `token` in the worker's event: only the
   * event holding the claim's token may start the task (ADR 0015).
   */
  | { outcome: "claimed"; leaseUntil: number; token: string }
  /** Already handed on (done, cancelled, or DISPATCHED by v0.1.0): the message is a duplicate and may be deleted. */
  | { outcome: "duplicate"; status: TaskStatus }
  /** Another consumer holds a live claim, or a worker a live run: leave the message; it comes back if that one dies. */
  | { outcome: "busy"; leaseUntil: number };

const names = {
  "#s": "status",
  "#o": "owner",
  "#l": "leaseUntil",
  "#e": "expiresAt",
  "#ep": "epoch",
  "#tk": "token",
};

/**
 * The record belongs to no live incarnation of this task's job: absent, or written for an older incarnation of
 * a reused jobId (or before epochs existed). It is then as good as absent. Not "expired": a record of the
 * job's current incarnation stands however old it is (issue 18: a job that outlived its task records' TTL
 * ran a finished task again when a resubmission re-sent it; a reused jobId has a newer epoch anyway).
 */
export const absentClause = "attribute_not_exists(pk) OR attribute_not_exists(#ep) OR #ep < :ep";

/** The record is of this task's incarnation: every transition but one from "absent" requires it. */
export const incarnationClause = "#ep = :ep";

/** The clauses under which a consumer may claim a task of the same incarnation. */
export const claimClauses = {
  /** A redrive (or a worker's deferral at a job's concurrency cap) made it claimable again. */
  requeued: "#s = :requeued",
  /**
   * A claim whose lease ended before its event started the task: its consumer died before it invoked, or
   * before it deleted the message, or Lambda still holds the event. Claimed again under a new token, so the
   * older event, should it arrive, cannot start the task (G2, G4).
   */
  deadClaim: "(#s = :claimed AND #l < :now)",
  /**
   * A run whose worker died: its RUNNING lease (which outlasts the worker's timeout) ended with no outcome.
   * Usually Lambda's retry of the event recovers it; the message recovers it when no retry will come (a
   * duplicate delivery that died, or an event whose task was deferred back to the queue).
   */
  deadRun: "(#s = :running AND #l < :now)",
} as const;

/** The clause under which a consumer gives its claim back (an invoke Lambda answered and refused). */
export const releaseClauses = {
  /** Still this run's claim: never a claim taken over since, nor a task its event started. */
  ownClaim: "(#s = :claimed AND #o = :owner)",
} as const;

/**
 * Claims a task with one atomic conditional write (never check-then-write): succeeds only when there
 * is no live record, or the record is an expired claim (its consumer died, or its event has not started the
 * task within the lease, G4) or an expired run (its worker died), or a redrive or a deferral requeued it.
 * Expiry is checked here, in the condition, because TTL deletion can lag by days. The claim draws a new
 * dispatch token and records it with the claim's time (`dispatchedAt`: the event's age is counted from it):
 * the claim is the task's only write before its worker starts (ADR 0015: no DISPATCHED write).
 */
export async function claimTask(
  store: DedupStore,
  claim: {
    taskId: string;
    jobId: string;
    index: number;
    owner: string;
    leaseSeconds: number;
    epoch?: number;
  },
): Promise<ClaimResult> {
  const now = store.now();
  const leaseUntil = now + claim.leaseSeconds * 1000;
  const epoch = claim.epoch ?? 0;
  const token = newDispatchToken();
  const write = await updateIf(store, {
    Key: taskKey(claim.taskId),
    UpdateExpression:
      "SET #s = :claimed, #o = :owner, #l = :lease, #e = :exp, #ep = :ep, jobId = :job, idx = :idx, #tk = :tk, dispatchedAt = :now",
    ConditionExpression: `${absentClause} OR (${incarnationClause} AND (${claimClauses.requeued} OR ${claimClauses.deadClaim} OR ${claimClauses.deadRun}))`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: {
      ":claimed": { S: TaskStatus.Claimed },
      ":requeued": { S: TaskStatus.Requeued },
      ":running": { S: TaskStatus.Running },
      ":owner": { S: claim.owner },
      ":lease": { N: String(leaseUntil) },
      ":now": { N: String(now) },
      ":exp": { N: String(expiresAt(store)) },
      ":job": { S: claim.jobId },
      ":idx": { N: String(claim.index) },
      ":ep": { N: String(epoch) },
      ":tk": { S: token },
    },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) {
    return { outcome: "claimed", leaseUntil, token };
  }
  const item = write.item;
  // A message of an older incarnation of the job: that job is over; drop the message.
  if (Number(item?.epoch?.N ?? 0) > epoch) return { outcome: "duplicate", status: TaskStatus.Superseded };
  // Gone by now (its claim was released): report busy, so the message simply comes back.
  const status = (item?.status?.S ?? TaskStatus.Claimed) as TaskStatus;
  // A live claim, or a live run: the message waits for the lease. Only a final task (or one v0.1.0 marked
  // DISPATCHED) makes the message a duplicate: if the run dies, or its event never starts it, the message
  // recovers the task.
  if (status === TaskStatus.Claimed || status === TaskStatus.Running) {
    return { outcome: "busy", leaseUntil: Number(item?.leaseUntil?.N ?? now) };
  }
  return { outcome: "duplicate", status };
}

/**
 * Gives a claim back after a dispatch failed, so the redelivered message can be claimed at once: the task
 * goes to REQUEUED (not deleted), which says that its message owns it, so that a stale worker event (a late
 * duplicate of an earlier dispatch) does not start it meanwhile. Only the claim's owner can release it, and
 * only while it is still a claim.
 */
export async function releaseClaim(store: DedupStore, taskId: string, owner: string): Promise<boolean> {
  return (
    await updateIf(store, {
      Key: taskKey(taskId),
      UpdateExpression: "SET #s = :requeued REMOVE #o, #l",
      ConditionExpression: releaseClauses.ownClaim,
      ExpressionAttributeNames: { "#s": "status", "#o": "owner", "#l": "leaseUntil" },
      ExpressionAttributeValues: {
        ":claimed": { S: TaskStatus.Claimed },
        ":requeued": { S: TaskStatus.Requeued },
        ":owner": { S: owner },
      },
    })
  ).written;
}
