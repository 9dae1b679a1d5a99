import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { enqueueClauses, jobClauses } from "./job-clauses.ts";
import { type JobInfo, jobInfoOf } from "./jobs.ts";
import { jobKey } from "./keys.ts";
import type { DedupStore } from "./store.ts";
import { updateIf } from "./table.ts";

/**
 * A source job is enqueued in steps (one `main` invocation each); a step sends the tasks from the
 * record's `enqueuedTo` on and commits how far it got. At most one step holds the job's enqueue lease at
 * a time, so a duplicate of a step's event (Lambda's async delivery is at-least-once) or a resubmission
 * while a step runs sends nothing twice; a step that died is taken over when its lease ends (ADR 0013).
 */
export type EnqueueTake =
  | { taken: true; job: JobInfo }
  /** Another step holds a live lease (`busy`), or tasks past `from` are already in the queue (`behind`). */
  | { taken: false; reason: "busy" | "behind" | "missing"; job?: JobInfo };

/** Takes the enqueue lease for a step starting at task `from`, if no live step holds it. */
export async function takeEnqueueStep(
  store: DedupStore,
  jobId: string,
  from: number,
  owner: string,
  leaseMs: number,
): Promise<EnqueueTake> {
  const now = store.now();
  const write = await updateIf(store, {
    Key: jobKey(jobId),
    UpdateExpression: "SET enqueueOwner = :me, enqueueLeaseUntil = :until",
    ConditionExpression: `${enqueueClauses.at} AND (${enqueueClauses.free} OR ${enqueueClauses.held})`,
    ExpressionAttributeValues: {
      ":me": { S: owner },
      ":until": { N: String(now + leaseMs) },
      ":from": { N: String(from) },
      ":now": { N: String(now) },
    },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
  if (write.written) return { taken: true, job: jobInfoOf(write.item ?? {}) };
  if (!write.item) return { taken: false, reason: "missing" };
  const job = jobInfoOf(write.item);
  const to = job.enqueue?.to;
  return { taken: false, reason: to !== undefined && to !== from ? "behind" : "busy", job };
}

/**
 * Extends a running step's lease to `leaseMs` from now, as its chunks go out: a step holds the job only while
 * it makes progress, so the retry of one that died takes over soon after (ADR 0013). Returns false when the
 * step no longer holds the lease (another step took it over after it lapsed): it must stop sending.
 */
export async function renewEnqueueStep(
  store: DedupStore,
  jobId: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  return (
    await updateIf(store, {
      Key: jobKey(jobId),
      UpdateExpression: "SET enqueueLeaseUntil = :until",
      ConditionExpression: enqueueClauses.held,
      ExpressionAttributeValues: {
        ":me": { S: owner },
        ":until": { N: String(store.now() + leaseMs) },
      },
    })
  ).written;
}

/**
 * Commits a step: tasks below `to` are in the queue, and the next step reads from `offset`. Only the
 * lease holder commits; returns false if the lease was lost (the step that took it over commits instead).
 * The commit names its step (`enqueueCommittedBy`): when an attempt took effect but its answer was lost,
 * the SDK's retry is refused (the lease is gone), and the record shows the commit was this step's own, so
 * the step still hands the rest over instead of leaving the job half-enqueued (found by the explorer).
 */
export async function commitEnqueueStep(
  store: DedupStore,
  jobId: string,
  owner: string,
  to: number,
  offset: number,
): Promise<boolean> {
  const write = await updateIf(store, {
    Key: jobKey(jobId),
    UpdateExpression:
      "SET enqueuedTo = :to, enqueuedOffset = :offset, enqueueCommittedBy = :me REMOVE enqueueOwner, enqueueLeaseUntil",
    ConditionExpression: enqueueClauses.held,
    ExpressionAttributeValues: {
      ":me": { S: owner },
      ":to": { N: String(to) },
      ":offset": { N: String(offset) },
    },
  });
  return write.written || committedBy(store, jobId, owner, to);
}

/** Whether the job's last commit is `owner`'s, up to `to` (an earlier attempt of its commit took effect). */
async function committedBy(store: DedupStore, jobId: string, owner: string, to: number): Promise<boolean> {
  const { Item } = await store.client.send(
    new GetItemCommand({
      TableName: store.tableName,
      Key: jobKey(jobId),
      ConsistentRead: true,
      ProjectionExpression: "enqueueCommittedBy, enqueuedTo",
    }),
  );
  return Item?.enqueueCommittedBy?.S === owner && Item.enqueuedTo?.N === String(to);
}

/**
 * Records that the step which committed `to` handed the rest over (its invoke was accepted). A retried
 * step whose commit is at most this far does not hand over again; one whose hand-over was lost does.
 */
export async function confirmHandover(store: DedupStore, jobId: string, to: number): Promise<void> {
  await updateIf(store, {
    Key: jobKey(jobId),
    UpdateExpression: "SET handedOverTo = :to",
    ConditionExpression: enqueueClauses.handoverAhead,
    ExpressionAttributeValues: { ":to": { N: String(to) } },
  });
}

/** Gives up a step's lease without committing (it failed): the step's retry can start at once. */
export async function releaseEnqueueStep(store: DedupStore, jobId: string, owner: string): Promise<void> {
  await updateIf(store, {
    Key: jobKey(jobId),
    UpdateExpression: "REMOVE enqueueOwner, enqueueLeaseUntil",
    ConditionExpression: enqueueClauses.held,
    ExpressionAttributeValues: { ":me": { S: owner } },
  });
}

/**
 * A resubmission of a source job that was enqueued in full sends its tasks again (G6: lost messages come
 * back; dedup drops the rest): its progress starts over at 0, unless a step is running. The restart names
 * its caller (`restartedBy`, any unique token): when an attempt took effect but its answer was lost, the
 * SDK's retry is refused (the job is no longer enqueued in full) and the record shows the restart was this
 * caller's own, so it still sends the tasks again instead of leaving the job restarted with no step.
 */
export async function restartEnqueue(store: DedupStore, job: JobInfo, restartedBy: string): Promise<boolean> {
  const now = store.now();
  const write = await updateIf(store, {
    Key: jobKey(job.jobId),
    UpdateExpression:
      "SET enqueuedTo = :zero, enqueuedOffset = :zero, handedOverTo = :zero, enqueueRestartedBy = :me",
    ConditionExpression: `${jobClauses.incarnation} AND ${enqueueClauses.inFull} AND ${enqueueClauses.free}`,
    ExpressionAttributeNames: { "#total": "total" },
    ExpressionAttributeValues: {
      ":zero": { N: "0" },
      ":ep": { N: String(job.epoch) },
      ":now": { N: String(now) },
      ":me": { S: restartedBy },
    },
  });
  if (write.written) return true;
  const { Item } = await store.client.send(
    new GetItemCommand({
      TableName: store.tableName,
      Key: jobKey(job.jobId),
      ConsistentRead: true,
      ProjectionExpression: "enqueueRestartedBy, enqueuedTo, epoch",
    }),
  );
  return (
    Item?.enqueueRestartedBy?.S === restartedBy &&
    Item.enqueuedTo?.N === "0" &&
    Item.epoch?.N === String(job.epoch)
  );
}
