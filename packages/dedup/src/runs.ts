import { type DedupStore, expiresAt, updateIf } from "@fanout/job-state";
import { absentClause, incarnationClause } from "./claims.ts";
import { TaskStatus, taskKey } from "./task-keys.ts";

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
  /**
   * The event's dispatch token (the consumer's claim holds the same one). Without one (an event invoked by
   * hand, or by a v0.1.0 consumer), the task starts under v0.1.0's rule: from any idle state.
   */
  token?: string;
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
  /** The task was cancelled (its job was cancelled or failed its threshold): do not run it. */
  | { outcome: "cancelled" }
  /**
   * The task was handed back to the queue (a redrive, a deferral at the job's cap, a released claim): its
   * message owns it and will dispatch it; this event is stale and must not run it.
   */
  | { outcome: "requeued" }
  /** Another invocation is running it right now. */
  | { outcome: "busy"; leaseUntil: number }
  /**
   * The task was claimed again since this event's dispatch (its claim's lease ended before the event came):
   * the newer claim's event runs it; this one must not, not even after that run fails.
   */
  | { outcome: "stale" }
  /** The event belongs to an older incarnation of a reused jobId: that job is over, do not run it. */
  | { outcome: "superseded" };

/** The clauses under which an attempt of the same incarnation may take the RUNNING lease. */
export const startClauses = {
  /**
   * CLAIMED, DISPATCHED or FAILED (Lambda's retry): not running, not done, not cancelled, and not REQUEUED
   * (its message owns it then: only the dispatch that message leads to may start it).
   */
  idle: "(#s <> :running AND #s <> :succeeded AND #s <> :cancelled AND #s <> :requeued)",
  /** A run whose lease ended: its attempt was stopped by Lambda's timeout, or crashed. */
  deadRun: "(#s = :running AND #l < :now)",
  /**
   * The event holds the token of the task's latest claim (ADR 0015): an event of an earlier claim, which
   * Lambda delivered after that claim's lease ended and the task was claimed again, never starts it. Added to
   * the two clauses above for an event that carries a token.
   */
  token: "#tk = :tk",
} as const;

/** The clause under which a run records its outcome. */
export const finishClauses = {
  /** This attempt still holds the RUNNING lease: never an outcome over another run's. */
  ownRun: "(#s = :running AND #o = :owner)",
} as const;

/** The states a task of a cancelled job (or with a payload the schema refused) is closed from, without a run. */
export const closeClauses = {
  /** Claimed, dispatched by v0.1.0, or handed back to the queue: no run started. */
  unstarted: "#s IN (:claimed, :dispatched, :requeued)",
  /** A failure Lambda will retry: that retry must find the task closed, not run it. */
  retryPending: "(#s = :failed AND finalFailure = :false)",
  /** A run whose lease ended: it died with no outcome. */
  deadRun: "(#s = :running AND #l < :now)",
} as const;

/**
 * Takes the RUNNING lease with one conditional write. Allowed from CLAIMED, DISPATCHED (written by v0.1.0),
 * FAILED (Lambda's retry of a failed attempt), an expired RUNNING lease (a crashed attempt), each only for
 * the event holding the claim's token when the event carries one, or no record at all (a worker invoked by
 * hand); never from SUCCEEDED,
 * CANCELLED, a live RUNNING lease, or REQUEUED (the task's message owns it). A live lease is never taken over, not even by the same
 * request id: Lambda can deliver one event twice at once under one request id, so only the lease's end
 * (it outlasts the function timeout, by which Lambda has stopped the holder) proves the holder gone.
 * `owner` is unique per invocation attempt (ADR 0005).
 */
export async function startRun(store: DedupStore, run: RunRef, leaseSeconds: number): Promise<StartResult> {
  const now = store.now();
  const leaseUntil = now + leaseSeconds * 1000;
  const epoch = run.epoch ?? 0;
  const tokened = run.token !== undefined;
  const states = `(${startClauses.idle} OR ${startClauses.deadRun})`;
  const write = await updateIf(store, {
    Key: taskKey(run.taskId),
    UpdateExpression: `SET #s = :running, #o = :owner, #l = :lease, #e = if_not_exists(#e, :exp), #ep = :ep, jobId = :job, idx = :idx${
      tokened ? ", #tk = :tk" : ""
    } ADD attempts :one, #ev :one${tokened ? "" : " REMOVE #tk"}`,
    ConditionExpression: `${absentClause} OR (${incarnationClause} AND ${tokened ? `${startClauses.token} AND ` : ""}${states})`,
    ExpressionAttributeNames: {
      // A run without a token removes the claim's: the record's token is that of the event that ran it last
      // (a redrive tells by it whose failure a FAILED record is).
      "#tk": "token",
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
      ":cancelled": { S: TaskStatus.Cancelled },
      ":requeued": { S: TaskStatus.Requeued },
      ":owner": { S: run.owner },
      ":lease": { N: String(leaseUntil) },
      ":now": { N: String(now) },
      ":exp": { N: String(expiresAt(store)) },
      ":job": { S: run.jobId },
      ":idx": { N: String(run.index) },
      ":one": { N: "1" },
      ":ep": { N: String(epoch) },
      ...(tokened ? { ":tk": { S: run.token as string } } : {}),
    },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) {
    const item = write.item ?? {};
    return {
      outcome: "started",
      attempt: Number(item.attempts?.N ?? 1),
      eventAttempt: Number(item[`ev:${run.eventId ?? run.owner}`]?.N ?? 1),
      dispatchedAt: item.dispatchedAt?.N === undefined ? undefined : Number(item.dispatchedAt.N),
    };
  }
  const item = write.item;
  if (Number(item?.epoch?.N ?? 0) > epoch) return { outcome: "superseded" };
  if (item?.status?.S === TaskStatus.Succeeded) return { outcome: "done" };
  if (item?.status?.S === TaskStatus.Cancelled) return { outcome: "cancelled" };
  if (item?.status?.S === TaskStatus.Requeued) return { outcome: "requeued" };
  // Another claim's token: that claim's event runs the task. No token at all: an event without one (by hand)
  // took the task, and its failure may have no retry of Lambda's behind it, so this event must not end:
  // busy, so that Lambda retries it (and its on-failure record lets a redrive take the task back).
  if (tokened && item?.token?.S !== undefined && item.token.S !== run.token) return { outcome: "stale" };
  return { outcome: "busy", leaseUntil: Number(item?.leaseUntil?.N ?? now) };
}

export type RunOutcome =
  /** `result`: the handler's result as JSON text (its size was checked by the caller). */
  | { status: "SUCCEEDED"; result?: string }
  /** `final`: Lambda will not retry this event (its retries are spent, or its age will be past by then). */
  | { status: "FAILED"; error: { type: string; message: string }; final: boolean };

export interface FinishResult {
  /** False when the RUNNING lease was lost before the outcome could be written. */
  recorded: boolean;
}

/**
 * Records the outcome and its result (only the lease holder can). Its job's counts, completion, failure
 * threshold and notice follow from the record's change on the table's stream (the consumer's
 * `countStreamBatch`; ADR 0015, decision 2), not from this write. Safe to call again after a lost answer: a
 * refusal that finds this owner's own outcome already written counts as done.
 */
export async function finishRun(store: DedupStore, run: RunRef, outcome: RunOutcome): Promise<FinishResult> {
  const failed = outcome.status === "FAILED";
  const withResult = !failed && outcome.result !== undefined;
  const write = await updateIf(store, {
    Key: taskKey(run.taskId),
    UpdateExpression: failed
      ? "SET #s = :status, lastError = :err, finalFailure = :final, finishedAt = :now REMOVE #l, #r"
      : `SET #s = :status, finishedAt = :now${withResult ? ", #r = :result" : ""} REMOVE #l, lastError, finalFailure${withResult ? "" : ", #r"}`,
    ConditionExpression: finishClauses.ownRun,
    ExpressionAttributeNames: { "#s": "status", "#o": "owner", "#l": "leaseUntil", "#r": "result" },
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
      ...(withResult ? { ":result": { S: outcome.result as string } } : {}),
    },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return { recorded: true };
  // Our own earlier attempt of this write took effect (its answer was lost).
  return { recorded: write.item?.owner?.S === run.owner && write.item?.status?.S === outcome.status };
}

/** Why a task is closed without a run. */
export type CloseReason =
  | { status: typeof TaskStatus.Cancelled }
  /** The payload failed the handler's schema: final, since no retry can change it. */
  | { status: typeof TaskStatus.Failed; error: { type: string; message: string } };

/**
 * Closes a task that must not run: CANCELLED (its job was cancelled) or FAILED (its payload is invalid),
 * with one conditional write, from any state in which nothing runs it or will count it final: no record,
 * CLAIMED, DISPATCHED, REQUEUED, a retryable FAILED, or a RUNNING lease that ended. Never a live run, a
 * success, or a final failure (its count must not move). Its count follows from the change on the table's
 * stream. Returns the status the task was found in when it could not be closed.
 */
export async function closeTask(
  store: DedupStore,
  run: Pick<RunRef, "taskId" | "jobId" | "index" | "epoch">,
  reason: CloseReason,
): Promise<
  | { closed: true }
  /** `leaseUntil`: when the live run that holds it ends (status RUNNING). */
  | { closed: false; status: TaskStatus | undefined; leaseUntil?: number; superseded: boolean }
> {
  const now = store.now();
  const epoch = run.epoch ?? 0;
  const failed = reason.status === TaskStatus.Failed;
  const write = await updateIf(store, {
    Key: taskKey(run.taskId),
    UpdateExpression: `SET #s = :status, finishedAt = :now, #e = if_not_exists(#e, :exp), #ep = :ep, jobId = :job, idx = :idx${
      failed ? ", lastError = :err, finalFailure = :true" : ""
    } REMOVE #l`,
    ConditionExpression: `${absentClause} OR (${incarnationClause} AND (${closeClauses.unstarted} OR ${closeClauses.retryPending} OR ${closeClauses.deadRun}))`,
    ExpressionAttributeNames: { "#s": "status", "#l": "leaseUntil", "#e": "expiresAt", "#ep": "epoch" },
    ExpressionAttributeValues: {
      ":status": { S: reason.status },
      ":claimed": { S: TaskStatus.Claimed },
      ":dispatched": { S: TaskStatus.Dispatched },
      ":requeued": { S: TaskStatus.Requeued },
      ":failed": { S: TaskStatus.Failed },
      ":running": { S: TaskStatus.Running },
      ":false": { BOOL: false },
      ":now": { N: String(now) },
      ":exp": { N: String(expiresAt(store)) },
      ":ep": { N: String(epoch) },
      ":job": { S: run.jobId },
      ":idx": { N: String(run.index) },
      ...(failed
        ? { ":err": { S: JSON.stringify(reason.error).slice(0, 4_000) }, ":true": { BOOL: true } }
        : {}),
    },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (!write.written) {
    const item = write.item;
    return {
      closed: false,
      status: item?.status?.S as TaskStatus | undefined,
      ...(item?.leaseUntil?.N === undefined ? {} : { leaseUntil: Number(item.leaseUntil.N) }),
      superseded: Number(item?.epoch?.N ?? 0) > epoch,
    };
  }
  return { closed: true };
}

/** What {@link closeCancelledTask} came to: the caller's next step in each case. */
export type CancelledClose =
  /** Closed CANCELLED now. */
  | { outcome: "closed" }
  /** A live run holds it: come back after `leaseUntil` (the run's end, or its death), never end here. */
  | { outcome: "running"; leaseUntil: number }
  /** Nothing to close: final already, REQUEUED by a newer owner, or a newer incarnation's. */
  | { outcome: "not-startable"; status: TaskStatus | undefined };

/**
 * A task of a cancelled (or failed) job that must not start: the consumer meets it before dispatch, the
 * worker before its run, and both need the same answer. Closes it CANCELLED ({@link closeTask}); a live run is
 * left to finish.
 */
export async function closeCancelledTask(
  store: DedupStore,
  run: Pick<RunRef, "taskId" | "jobId" | "index" | "epoch">,
): Promise<CancelledClose> {
  const closed = await closeTask(store, run, { status: TaskStatus.Cancelled });
  if (closed.closed) return { outcome: "closed" };
  if (closed.status === TaskStatus.Running && !closed.superseded)
    return { outcome: "running", leaseUntil: closed.leaseUntil ?? store.now() };
  return { outcome: "not-startable", status: closed.status };
}
