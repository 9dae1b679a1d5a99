import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  createStore,
  type DedupStore,
  type DeliveredChange,
  type JobNotice,
  settleChanges,
  updateIf,
} from "@fanout/job-state";
import { taskChangeOf } from "./task-changes.ts";
import { TaskStatus, taskKey } from "./task-keys.ts";

/** A DedupStore whose clock a test moves by hand. */
type ClockedStore = DedupStore & {
  /** Moves this store's clock forward: leases expire without sleeping. */
  advance(ms: number): void;
};

/**
 * A store on the emulator with a clock the test moves by hand. With `endpoint`, its own client on
 * that endpoint; without, the SDK's default client (the emulators' vitest setup sets the endpoint).
 */
export function clockedStore(options: { tableName: string; endpoint?: string }): ClockedStore {
  let offset = 0;
  const client = options.endpoint
    ? new DynamoDBClient({
        endpoint: options.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      })
    : undefined;
  const store = createStore({
    tableName: options.tableName,
    ttlSeconds: 86_400,
    ...(client ? { client } : {}),
    now: () => Date.now() + offset,
  });
  return Object.assign(store, {
    advance: (ms: number) => {
      offset += ms;
    },
  });
}

/**
 * Writes what a v0.1.0 consumer wrote after its invoke was accepted: DISPATCHED (and the event's request id),
 * the claim's lease removed. This release never writes it (ADR 0015), but reads it while a deploy overlaps
 * (releases/README.md), so its tests make such records with this. Refused unless `owner` holds the claim.
 */
export async function markDispatchedAsV010(
  store: DedupStore,
  taskId: string,
  owner: string,
  dispatchId?: string,
): Promise<boolean> {
  return (
    await updateIf(store, {
      Key: taskKey(taskId),
      UpdateExpression:
        dispatchId === undefined
          ? "SET #s = :dispatched, dispatchedAt = :now REMOVE #l"
          : "SET #s = :dispatched, dispatchedAt = :now, dispatchId = :rid REMOVE #l",
      ConditionExpression: "#s = :claimed AND #o = :owner",
      ExpressionAttributeNames: { "#s": "status", "#o": "owner", "#l": "leaseUntil" },
      ExpressionAttributeValues: {
        ":dispatched": { S: TaskStatus.Dispatched },
        ":claimed": { S: TaskStatus.Claimed },
        ":owner": { S: owner },
        ":now": { N: String(store.now()) },
        ...(dispatchId === undefined ? {} : { ":rid": { S: dispatchId } }),
      },
    })
  ).written;
}

/**
 * The local table's stream for tests that count outcomes: give `onChange` to the emulator
 * (`startLocalResources({ onChange })`), then `settle` hands the task changes made since to `settleChanges`,
 * as the consumer's stream handler does, and returns the notices won. Changes of other jobs (with `jobId`)
 * wait for their own test's call.
 */
export class TaskStream {
  private pending: { newImage?: unknown; sequenceNumber: string }[] = [];

  readonly onChange = (change: { newImage?: unknown; sequenceNumber: string }): void => {
    this.pending.push(change);
  };

  async settle(store: DedupStore, jobId?: string): Promise<JobNotice[]> {
    const taken: DeliveredChange[] = [];
    const kept: typeof this.pending = [];
    for (const change of this.pending) {
      const task = taskChangeOf(change.newImage);
      if (task && (jobId === undefined || task.jobId === jobId))
        taken.push({ ...task, id: change.sequenceNumber });
      else if (task) kept.push(change);
    }
    this.pending = kept;
    this.last = taken;
    return this.deliver(store, taken);
  }

  /** Delivers the last batch again (a stream delivers at least once): answers the notices it won. */
  redeliver(store: DedupStore): Promise<JobNotice[]> {
    return this.deliver(store, this.last);
  }

  private last: DeliveredChange[] = [];

  private async deliver(store: DedupStore, batch: DeliveredChange[]): Promise<JobNotice[]> {
    const { notices, failed } = await settleChanges(store, batch);
    if (failed[0]) throw failed[0].error;
    return notices;
  }
}
