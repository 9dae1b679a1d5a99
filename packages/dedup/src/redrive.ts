import { type DedupStore, type JobInfo, readJob, unsettleFailure, updateIf } from "@fanout/job-state";
import { incarnationClause } from "./claims.ts";
import { TaskStatus, taskKey } from "./task-keys.ts";

/** How far an operator's clock may run ahead of Lambda's before a live lease could look expired. */
export const leaseClockSkewMs = 60_000;

/**
 * The failed event a redrive acts on, from its on-failure record: Lambda gave up on it, so it will not run the
 * task again. `token`: the dispatch token it carried (none from a v0.1.0 consumer or an event invoked by
 * hand); `requestId`: its request id, which a v0.1.0 consumer recorded as the task's `dispatchId`.
 */
export interface FailedEvent {
  requestId?: string;
  token?: string;
}

/** The states a redrive may take a task back from, each as one clause of the condition. */
export const requeueClauses = {
  /**
   * The task's last run failed for good, or it was this event's run: never a failure of a later dispatch
   * that Lambda will still retry (issue 18: requeued beside that retry, the task ran on two lines at once
   * and ended FAILED with a retry pending that nothing made; found by the explorer once an operator ran the
   * redrive again after one that stopped midway). A run records its event's token (a run without one removes
   * it); a run of v0.1.0's events is told by the `dispatchId` its consumer recorded, or by none on record.
   */
  failed:
    "(#s = :failed AND (finalFailure = :true OR #tk = :tk OR (attribute_not_exists(#tk) AND (attribute_not_exists(dispatchId) OR dispatchId = :rid))))",
  /** A worker died RUNNING: its lease ended (by more than the allowed clock skew). */
  deadRun: "(#s = :running AND #l < :expiredBefore)",
  /** A consumer died CLAIMED before it dispatched: its claim lease ended. */
  deadClaim: "(#s = :claimed AND #l < :expiredBefore)",
  /**
   * The task's latest claim is this event's (its token), and the event never started it (every attempt failed
   * before the worker's first write, or it aged out in Lambda's queue): nothing else will run the task.
   */
  claimedToken: "(#s = :claimed AND #tk = :tk)",
  /** v0.1.0's record: the event being redriven is the task's latest dispatch, and it never ran. */
  failedDispatch: "(#s = :dispatched AND dispatchId = :rid)",
  /**
   * DISPATCHED with no dispatch id on record (written before v0.1.0): nothing proves a later dispatch, so the
   * task is taken back rather than left DISPATCHED for ever. Never a second run: a later event's worker meets
   * REQUEUED and leaves the task to its message, and one that started already made it RUNNING.
   */
  unprovenDispatch: "(#s = :dispatched AND attribute_not_exists(dispatchId))",
} as const;
export type RequeueClause = keyof typeof requeueClauses;

/** What {@link requeueTask}'s condition reads of a task record (`readTask` returns it). */
export interface RequeueState {
  status: string;
  finalFailure?: boolean;
  epoch?: number;
  leaseUntil?: number;
  dispatchId?: string;
  token?: string;
}

/**
 * The clause of {@link requeueTask}'s condition that `record` meets, or undefined when the write would be
 * refused: the same rule, for a dry run that must predict the write without making it (a test holds the two
 * together on the emulator). `now` is the operator's clock, as `store.now()` gives the write.
 */
export function requeueClauseOf(
  record: RequeueState | undefined,
  task: { epoch?: number },
  failed: FailedEvent,
  now: number,
): RequeueClause | undefined {
  // `#ep = :ep`: a record of another incarnation (or none) is never requeued.
  if (!record || record.epoch === undefined || record.epoch !== (task.epoch ?? 0)) return undefined;
  const leaseEnded = record.leaseUntil !== undefined && record.leaseUntil < now - leaseClockSkewMs;
  const ownToken = failed.token !== undefined && record.token === failed.token;
  switch (record.status) {
    case TaskStatus.Failed: {
      if (record.finalFailure === true || ownToken) return "failed";
      if (record.token !== undefined) return undefined;
      const ownDispatch =
        record.dispatchId === undefined ||
        (failed.requestId !== undefined && record.dispatchId === failed.requestId);
      return ownDispatch ? "failed" : undefined;
    }
    case TaskStatus.Running:
      return leaseEnded ? "deadRun" : undefined;
    case TaskStatus.Claimed:
      if (leaseEnded) return "deadClaim";
      return ownToken ? "claimedToken" : undefined;
    case TaskStatus.Dispatched:
      if (failed.requestId === undefined) return undefined;
      if (record.dispatchId === undefined) return "unprovenDispatch";
      return record.dispatchId === failed.requestId ? "failedDispatch" : undefined;
    default:
      return undefined;
  }
}

/**
 * Makes a task claimable again (REQUEUED) before its message is sent back to the tasks queue, and takes
 * it out of the failed count: one of {@link requeueClauses} must hold (leases count as ended only past
 * {@link leaseClockSkewMs}; {@link requeueClauseOf} is the same rule for a dry run). Never a task that
 * succeeded, runs or is claimed under a live lease by another dispatch, or was dispatched again after the
 * failed event (its record holds a later token or dispatch id), so a redrive cannot cause a second run of it.
 */
export async function requeueTask(
  store: DedupStore,
  task: { taskId: string; jobId: string; index: number; epoch?: number },
  /** The event whose on-failure record is being redriven. */
  failed: FailedEvent = {},
  /** The task's job record, if the caller has it (read here otherwise: it places the task's counter shard). */
  job?: JobInfo,
): Promise<boolean> {
  // Out of the failed count first, then REQUEUED: a crash in between leaves the job short of a final task
  // (it waits for the next redrive of the same record, which repeats both), never finished with a task
  // counted failed that is about to run again (its notice would then be wrong: the fault explorer found
  // that order losing the second write). Harmless when the requeue is then refused: the task is not
  // FAILED, so it is in no failed set, and a retrying one is counted again by its run.
  const record = job ?? (await readJob(store, task.jobId));
  await unsettleFailure(store, record, { jobId: task.jobId, index: task.index, epoch: task.epoch ?? 0 });
  const write = await updateIf(store, {
    Key: taskKey(task.taskId),
    UpdateExpression: "SET #s = :requeued, requeuedAt = :now REMOVE #l, #o",
    // Only the same incarnation: a record of an older one is as good as absent (the consumer claims it).
    ConditionExpression: `${incarnationClause} AND (${[
      requeueClauses.failed,
      requeueClauses.deadRun,
      requeueClauses.deadClaim,
      ...(failed.token === undefined ? [] : [requeueClauses.claimedToken]),
      ...(failed.requestId === undefined
        ? []
        : [requeueClauses.failedDispatch, requeueClauses.unprovenDispatch]),
    ].join(" OR ")})`,
    ExpressionAttributeNames: {
      "#s": "status",
      "#l": "leaseUntil",
      "#o": "owner",
      "#ep": "epoch",
      "#tk": "token",
    },
    ExpressionAttributeValues: {
      ":requeued": { S: TaskStatus.Requeued },
      ":failed": { S: TaskStatus.Failed },
      ":running": { S: TaskStatus.Running },
      ":claimed": { S: TaskStatus.Claimed },
      ":ep": { N: String(task.epoch ?? 0) },
      ":true": { BOOL: true },
      // Without the failed event's request id or token, no dispatch can match it (a token is never
      // "(none)": it is 16 characters of base64url).
      ":rid": { S: failed.requestId ?? "(none)" },
      ":tk": { S: failed.token ?? "(none)" },
      ...(failed.requestId === undefined ? {} : { ":dispatched": { S: TaskStatus.Dispatched } }),
      ":now": { N: String(store.now()) },
      // The lease was set by the worker's clock, this runs on an operator's: allow for skew.
      ":expiredBefore": { N: String(store.now() - leaseClockSkewMs) },
    },
  });
  if (!write.written) return false;
  return true;
}
