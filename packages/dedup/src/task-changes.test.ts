import { randomUUID } from "node:crypto";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { JobRunOptions } from "@fanout/core";
import { type ItemChange, type LocalStack, startLocalResources } from "@fanout/emulators";
import {
  createStore,
  type DedupStore,
  type DeliveredChange,
  type JobInfo,
  readJob,
  readJobStatus,
  recordJob,
  settleChanges,
} from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taskChangeOf } from "./task-changes.ts";
import { taskKey } from "./task-keys.ts";

let local: LocalStack;
let client: DynamoDBClient;
/** Every committed change of the emulator's items: the table's stream. */
const stream: ItemChange[] = [];
/** Tiny shards and groups: a job of 8 tasks has 4 shards in 2 groups. */
let tiny: DedupStore;
/** Counter writes to fail (by shard key prefix): a DynamoDB fault no server produces on demand. */
const failing = new Set<string>();

beforeAll(async () => {
  local = await startLocalResources({ onChange: (c) => stream.push(c) });
  client = new DynamoDBClient({
    endpoint: local.dynamoEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const pk = (args.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S ?? "";
      if ([...failing].some((prefix) => pk.startsWith(prefix))) throw new Error(`injected fault on ${pk}`);
      return next(args);
    },
    { step: "initialize", name: "failShardWrites" },
  );
  tiny = createStore({
    tableName: local.resources.tableName,
    ttlSeconds: 86_400,
    client,
    counterLayout: { maxWidth: 2, perShard: 2, perGroup: 2 },
  });
});
afterAll(() => local.stop());

async function newJob(total: number, options: JobRunOptions = {}): Promise<JobInfo> {
  const jobId = `job-${randomUUID()}`;
  await recordJob(tiny, { jobId, contentHash: "h", total, options });
  const job = await readJob(tiny, jobId);
  if (!job) throw new Error("job record missing");
  return job;
}

/** Writes task `index`'s record in `status` as the shipped writers leave it (jobId, idx, epoch with it). */
async function write(job: JobInfo, index: number, status: string, final?: boolean) {
  await client.send(
    new UpdateItemCommand({
      TableName: local.resources.tableName,
      Key: taskKey(`${job.jobId}#${index}`),
      UpdateExpression: `SET #s = :s, jobId = :j, idx = :i, epoch = :e${final === undefined ? "" : ", finalFailure = :f"}`,
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: {
        ":s": { S: status },
        ":j": { S: job.jobId },
        ":i": { N: String(index) },
        ":e": { N: String(job.epoch) },
        ...(final === undefined ? {} : { ":f": { BOOL: final } }),
      },
    }),
  );
}

/** The job's task changes on the stream since `from`, as the consumer reads them. */
function changesOf(job: JobInfo, from: number): DeliveredChange[] {
  return stream.slice(from).flatMap((c) => {
    const change = taskChangeOf(c.newImage);
    return change && change.jobId === job.jobId ? [{ ...change, id: c.sequenceNumber }] : [];
  });
}

describe("taskChangeOf", () => {
  it("reads outcomes and redrives from a task record's new image, and nothing from other states", () => {
    const image = (status: string, extra = {}) => ({
      pk: { S: "TASK#j#3" },
      status: { S: status },
      jobId: { S: "j" },
      idx: { N: "3" },
      epoch: { N: "7" },
      ...extra,
    });
    expect(taskChangeOf(image("SUCCEEDED"))).toEqual({ jobId: "j", epoch: 7, index: 3, status: "SUCCEEDED" });
    expect(taskChangeOf(image("FAILED", { finalFailure: { BOOL: true } }))?.status).toBe("FAILED");
    expect(taskChangeOf(image("FAILED", { finalFailure: { BOOL: false } }))?.status).toBe("RETRYING");
    expect(taskChangeOf(image("REQUEUED"))?.status).toBe("UNCOUNTED");
    expect(taskChangeOf(image("CANCELLED"))?.status).toBe("CANCELLED");
    for (const idle of ["CLAIMED", "DISPATCHED", "RUNNING", "NONSENSE"])
      expect(taskChangeOf(image(idle))).toBeUndefined();
    expect(taskChangeOf({ ...image("SUCCEEDED"), pk: { S: "JOB#j" } })).toBeUndefined();
    expect(taskChangeOf({ ...image("SUCCEEDED"), idx: { N: "-1" } })).toBeUndefined();
    expect(taskChangeOf(undefined)).toBeUndefined();
  });
});

describe("settleChanges", () => {
  it("counts each task once by its last change, however often a batch is delivered, and finishes the job once", async () => {
    const job = await newJob(8);
    const from = stream.length;
    for (let i = 0; i < 8; i++) await write(job, i, "RUNNING");
    for (let i = 0; i < 8; i++) await write(job, i, "SUCCEEDED");
    const changes = changesOf(job, from);
    expect(changes).toHaveLength(8);
    const first = await settleChanges(tiny, changes.slice(0, 5));
    expect(first).toEqual({ notices: [], failed: [] });
    const second = await settleChanges(tiny, changes);
    const again = await settleChanges(tiny, changes);
    expect(second.notices).toHaveLength(1);
    expect(second.notices[0]).toMatchObject({ state: "succeeded", total: 8, succeeded: 8, failed: 0 });
    expect(again).toEqual({ notices: [], failed: [] });
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({
      state: "succeeded",
      succeeded: 8,
      running: 0,
    });
  });

  it("does not count a final failure redriven within the same batch, and counts one redriven in a later batch out again", async () => {
    const job = await newJob(2);
    let from = stream.length;
    await write(job, 0, "FAILED", true);
    await write(job, 0, "REQUEUED");
    await write(job, 1, "FAILED", true);
    expect(await settleChanges(tiny, changesOf(job, from))).toEqual({ notices: [], failed: [] });
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 1, succeeded: 0, state: "running" });
    from = stream.length;
    await write(job, 1, "REQUEUED");
    await write(job, 0, "SUCCEEDED");
    await settleChanges(tiny, changesOf(job, from));
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 0, succeeded: 1, state: "running" });
    from = stream.length;
    await write(job, 1, "SUCCEEDED");
    const { notices } = await settleChanges(tiny, changesOf(job, from));
    expect(notices).toMatchObject([{ state: "succeeded", succeeded: 2, failed: 0 }]);
  });

  it("writes a shard's removals before its additions when one set needs both, and a retry after the first write counts nothing twice", async () => {
    // Shard 0 of a 4-task job (width 2) holds tasks 0 and 2: one leaves `failed` while the other enters it.
    const job = await newJob(4);
    let from = stream.length;
    await write(job, 0, "FAILED", true);
    await settleChanges(tiny, changesOf(job, from));
    from = stream.length;
    await write(job, 0, "SUCCEEDED");
    await write(job, 2, "FAILED", true);
    const changes = changesOf(job, from);
    const shard0 = `JOB#${job.jobId}#E${job.epoch}#I#0`;
    let writes = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        const pk = (args.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S;
        if (pk === shard0 && ++writes === 2) throw new Error("process died after the removals");
        return next(args);
      },
      { step: "initialize", name: "dieBetweenWrites" },
    );
    const crashed = await settleChanges(tiny, changes);
    client.middlewareStack.remove("dieBetweenWrites");
    expect(writes).toBe(2);
    expect(crashed.failed.flatMap((f) => f.ids).sort()).toEqual(changes.map((c) => c.id).sort());
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 0, succeeded: 0 });
    await settleChanges(tiny, changes);
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 1, succeeded: 1 });
  });

  it("fails only the changes of a shard whose write failed", async () => {
    const job = await newJob(4);
    const from = stream.length;
    for (let i = 0; i < 4; i++) await write(job, i, "SUCCEEDED");
    const changes = changesOf(job, from);
    failing.add(`JOB#${job.jobId}#E${job.epoch}#I#1`);
    const { failed } = await settleChanges(tiny, changes);
    failing.clear();
    // Shard 1 holds tasks 1 and 3.
    const ids = (indexes: number[]) => changes.filter((c) => indexes.includes(c.index)).map((c) => c.id);
    expect(failed.flatMap((f) => f.ids).sort()).toEqual(ids([1, 3]).sort());
    expect(String(failed[0]?.error)).toMatch(/injected fault/);
    expect(
      (
        await settleChanges(
          tiny,
          changes.filter((c) => ids([1, 3]).includes(c.id)),
        )
      ).notices,
    ).toHaveLength(1);
  });

  it("stops a job whose final failures pass its threshold", async () => {
    const job = await newJob(4, { toleratedFailureCount: 1 });
    const from = stream.length;
    await write(job, 0, "FAILED", true);
    await write(job, 1, "FAILED", true);
    await settleChanges(tiny, changesOf(job, from));
    const status = await readJobStatus(tiny, job.jobId);
    expect(status.state).toBe("failing");
    expect(status.stopReason).toMatch(/2 tasks failed, toleratedFailureCount is 1/);
  });

  it("leaves a change of another incarnation, or of no recorded job, uncounted", async () => {
    const job = await newJob(1);
    const from = stream.length;
    await write({ ...job, epoch: job.epoch - 1 }, 0, "SUCCEEDED");
    await write({ ...job, jobId: `gone-${randomUUID()}` }, 0, "SUCCEEDED");
    const all = stream.slice(from).flatMap((c) => {
      const change = taskChangeOf(c.newImage);
      return change ? [{ ...change, id: c.sequenceNumber }] : [];
    });
    expect(all).toHaveLength(2);
    expect(await settleChanges(tiny, all)).toEqual({ notices: [], failed: [] });
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ succeeded: 0, state: "running" });
  });
});
