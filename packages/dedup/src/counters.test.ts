import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type JobRunOptions, requestCounts, resetRequestCounts } from "@fanout/core";
import { startLocalResources } from "@fanout/emulators";
import {
  countDispatched,
  createStore,
  type DedupStore,
  type JobInfo,
  readJob,
  readJobStatus,
  recordJob,
  settleOutcome,
} from "@fanout/job-state";
import {
  type Counted,
  countOutcome,
  groupCount,
  layoutFor,
  shardCount,
  shardOf,
  shardSize,
  tasksPerShard,
} from "@fanout/job-state/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimTask } from "./claims.ts";
import { requeueTask } from "./redrive.ts";
import { finishRun, startRun } from "./runs.ts";
import { readTask } from "./tasks.ts";
import { TaskStream } from "./testing.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
/** The table's stream: outcomes are counted from it, as the consumer counts them. */
const stream = new TaskStream();
/** The DynamoDB requests sent, with their inputs: what a status read costs. */
const sent: { command: string; input: Record<string, unknown> }[] = [];
let store: DedupStore;
/** Tiny shards and groups (the fault explorer's layout): a job of 8 tasks has 4 shards in 2 groups. */
let tiny: DedupStore;
beforeAll(async () => {
  local = await startLocalResources({ onChange: stream.onChange });
  const client = new DynamoDBClient({
    endpoint: local.dynamoEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({
        command: String(context.commandName).replace(/Command$/, ""),
        input: args.input as Record<string, unknown>,
      });
      return next(args);
    },
    { step: "initialize", name: "recordRequests" },
  );
  const tableName = local.resources.tableName;
  store = createStore({ tableName, ttlSeconds: 86_400, client });
  tiny = createStore({
    tableName,
    ttlSeconds: 86_400,
    client,
    counterLayout: { maxWidth: 2, perShard: 2, perGroup: 2 },
  });
});
afterAll(() => local.stop());

async function newJob(s: DedupStore, total: number, options: JobRunOptions = {}): Promise<JobInfo> {
  const jobId = `job-${randomUUID()}`;
  await recordJob(s, { jobId, contentHash: "h", total, options });
  const job = await readJob(s, jobId);
  if (!job) throw new Error("job record missing");
  return job;
}

const task = (job: JobInfo, index: number) => ({ jobId: job.jobId, index, epoch: job.epoch });

/**
 * Runs task `index` to `outcome` as the worker does, then counts the job's changes from the table's stream as
 * the consumer does (unless `settle` is false); returns the notice, if any.
 */
async function run(
  s: DedupStore,
  job: JobInfo,
  index: number,
  outcome: "SUCCEEDED" | "FAILED" = "SUCCEEDED",
  settle = true,
) {
  const r = { taskId: `${job.jobId}#${index}`, ...task(job, index), owner: `w-${randomUUID()}` };
  expect((await startRun(s, r, 60)).outcome).toBe("started");
  expect(
    await finishRun(
      s,
      r,
      outcome === "SUCCEEDED"
        ? { status: "SUCCEEDED" }
        : { status: "FAILED", error: { type: "Error", message: "boom" }, final: true },
    ),
  ).toEqual({ recorded: true });
  if (!settle) return undefined;
  const notices = await stream.settle(s, job.jobId);
  expect(notices.length).toBeLessThanOrEqual(1);
  return notices[0];
}

/** `fanout failed redrive` of task `index` (requeued, its message claimed and dispatched), then its run. */
async function redriveAndRun(s: DedupStore, job: JobInfo, index: number, outcome: "SUCCEEDED" | "FAILED") {
  const ref = { taskId: `${job.jobId}#${index}`, ...task(job, index) };
  expect(await requeueTask(s, ref, undefined, job)).toBe(true);
  expect(await claimTask(s, { ...ref, owner: "c", leaseSeconds: 30 })).toMatchObject({ outcome: "claimed" });
  return run(s, job, index, outcome);
}

/** Runs tasks `from` .. `to - 1` to success, 32 at a time; returns the notices. */
async function runAll(s: DedupStore, job: JobInfo, from: number, to: number) {
  const notices = [];
  for (let i = from; i < to; i += 32) {
    const batch = Array.from({ length: Math.min(32, to - i) }, (_, n) => run(s, job, i + n));
    notices.push(...(await Promise.all(batch)).filter(Boolean));
  }
  return notices;
}

/** The requests `fn` sends, and the counter items (shards, groups) it reads. */
async function requestsOf(fn: () => Promise<unknown>) {
  const from = sent.length;
  await fn();
  const requests = sent.slice(from);
  const keysRead = requests.flatMap((r) => {
    if (r.command === "GetItem") return [(r.input.Key as { pk: { S: string } }).pk.S];
    if (r.command !== "BatchGetItem") return [];
    const items = r.input.RequestItems as Record<string, { Keys: { pk: { S: string } }[] }>;
    return Object.values(items).flatMap((i) => i.Keys.map((k) => k.pk.S));
  });
  return { commands: requests.map((r) => r.command), keysRead };
}

describe("counter layout", () => {
  it("consecutive tasks fall in different shards, each shard holds at most 128 and every task is counted once", () => {
    const million: Counted = { total: 1_000_000, layout: layoutFor(1_000_000) };
    expect(million.layout).toEqual({ width: 32, perShard: 128, perGroup: 100 });
    expect(shardCount(million)).toBe(7_840);
    expect(groupCount({ ...million, layout: layoutFor(1_000_000) })).toBe(79);
    for (const start of [0, 500_000, 999_968]) {
      const shards = new Set(Array.from({ length: 32 }, (_, i) => shardOf(million, start + i)));
      expect(shards.size).toBe(32);
    }
    for (const total of [1, 5, 128, 129, 300, 4_095, 4_096, 4_097, 30_000, 70_001]) {
      const job: Counted = { total, layout: layoutFor(total) };
      const sizes = new Map<number, number>();
      for (let i = 0; i < total; i++) sizes.set(shardOf(job, i), (sizes.get(shardOf(job, i)) ?? 0) + 1);
      expect(sizes.size).toBe(shardCount(job));
      for (let k = 0; k < shardCount(job); k++) {
        expect(sizes.get(k)).toBe(shardSize(job, k));
        expect(shardSize(job, k)).toBeLessThanOrEqual(tasksPerShard);
      }
      // Consecutive tasks go to different shards wherever the job has more than one.
      if (shardCount(job) > 1) expect(shardOf(job, total - 2)).not.toBe(shardOf(job, total - 1));
    }
  });
});

describe("job counters", () => {
  it("counts nothing for a task with no record of its incarnation (a worker invoked by hand), which no status reads", async () => {
    const job = await newJob(store, 4);
    resetRequestCounts();
    const task = { jobId: job.jobId, index: 0, epoch: job.epoch + 1 };
    for (const status of ["FAILED", "SUCCEEDED"] as const) {
      expect(await settleOutcome(store, undefined, task, status)).toEqual({});
      expect(await settleOutcome(store, job, task, status)).toEqual({});
    }
    expect(requestCounts()).toEqual({});
  });

  it("a 1,000,000-task job's status reads only its incomplete shards", async () => {
    const job = await newJob(store, 1_000_000);
    expect(job.layout).toEqual({ width: 32, perShard: 128, perGroup: 100 });
    // Shard 0 complete (its 128 tasks: 0, 32, ..., 4064); one task each of shards 1 and 40 (group 0) and
    // 500 (group 5), one of them dispatched (in flight).
    const shard0 = Array.from({ length: 128 }, (_, n) => n * 32);
    expect(new Set(shard0.map((i) => shardOf(job, i)))).toEqual(new Set([0]));
    await Promise.all(shard0.map((i) => settleOutcome(store, job, task(job, i), "SUCCEEDED")));
    expect([shardOf(job, 1), shardOf(job, 4_104), shardOf(job, 61_460)]).toEqual([1, 40, 500]);
    await settleOutcome(store, job, task(job, 1), "SUCCEEDED");
    await settleOutcome(store, job, task(job, 4_104), "FAILED");
    await countDispatched(store, job, [61_460]);

    const read = await requestsOf(async () =>
      expect(await readJobStatus(store, job.jobId)).toMatchObject({
        total: 1_000_000,
        succeeded: 129,
        failed: 1,
        running: 1,
        pending: 1_000_000 - 130,
        done: false,
      }),
    );
    // The record, the progress item, the two open groups, and the three open shards that are not complete.
    expect(read.commands).toEqual(["GetItem", "GetItem", "BatchGetItem", "BatchGetItem"]);
    const pk = (rest: string) => `JOB#${job.jobId}#E${job.epoch}#${rest}`;
    expect(read.keysRead.sort()).toEqual(
      [`JOB#${job.jobId}`, pk("P"), pk("G#0"), pk("G#5"), pk("I#1"), pk("I#40"), pk("I#500")].sort(),
    );
  });

  it("finishes a job exactly once when its last two groups complete at the same instant, then reads 2 items", async () => {
    const job = await newJob(tiny, 8);
    // 4 shards of 2 tasks, in 2 groups: shard = block * 2 + index % 2, blocks of 4 tasks.
    expect([shardCount(job), groupCount({ ...job, layout: job.layout ?? layoutFor(8) })]).toEqual([4, 2]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => shardOf(job, i))).toEqual([0, 1, 0, 1, 2, 3, 2, 3]);
    for (const i of [0, 1, 2, 4, 5, 6]) expect(await run(tiny, job, i)).toBeUndefined();
    const notices = (await Promise.all([run(tiny, job, 3), run(tiny, job, 7, "FAILED")])).filter(Boolean);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ state: "failed", succeeded: 7, failed: 1, total: 8 });
    const read = await requestsOf(async () =>
      expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ succeeded: 7, failed: 1, done: true }),
    );
    expect(read.commands).toEqual(["GetItem", "GetItem"]);
  });

  it("status follows a redrive of a task in a complete shard, and the job's counts settle again", async () => {
    const job = await newJob(tiny, 4);
    await run(tiny, job, 0, "FAILED");
    for (const i of [1, 2]) await run(tiny, job, i);
    expect(await run(tiny, job, 3)).toMatchObject({ state: "failed", failed: 1 });
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 1, succeeded: 3, done: true });
    const ref = { taskId: `${job.jobId}#0`, ...task(job, 0) };
    expect(await requeueTask(tiny, ref)).toBe(true);
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 0, succeeded: 3, pending: 1 });
    // Its message comes back: claimed and dispatched again, then run.
    expect(await claimTask(tiny, { ...ref, owner: "c", leaseSeconds: 30 })).toMatchObject({
      outcome: "claimed",
    });
    await run(tiny, job, 0);
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ failed: 0, succeeded: 4, done: true });
  });

  it("a redrive that dies between its writes never leaves a requeued task counted failed in a finished job", async () => {
    for (const dieAtWrite of [1, 2]) {
      const job = await newJob(tiny, 2);
      await run(tiny, job, 0, "FAILED");
      const ref = { taskId: `${job.jobId}#0`, ...task(job, 0) };
      // The operator's process dies at its nth UpdateItem (a crash no server can produce: an SDK-level fault).
      const dying = new DynamoDBClient({
        endpoint: local.dynamoEndpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      });
      let updates = 0;
      dying.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === "UpdateItemCommand" && ++updates === dieAtWrite)
            throw new Error("operator died");
          return next(args);
        },
        { step: "initialize", name: "dieAtWrite" },
      );
      const operator = createStore({
        tableName: tiny.tableName,
        ttlSeconds: 86_400,
        client: dying,
        counterLayout: tiny.counterLayout,
      });
      await expect(requeueTask(operator, ref)).rejects.toThrow("operator died");
      dying.destroy();
      // The other task completes the job's tasks as far as its counters know.
      const notice = await run(tiny, job, 1);
      const requeued = (await readTask(tiny, ref.taskId))?.status === "REQUEUED";
      const status = await readJobStatus(tiny, job.jobId);
      if (requeued) expect({ notice, status }).toMatchObject({ status: { failed: 0, done: false } });
      // Died before any write took effect: the job finished as if no redrive had come (failed, 1 of 2).
      else if (notice) expect(notice).toMatchObject({ state: "failed", failed: 1, succeeded: 1 });
      // Died after taking the task out of the failed count: the job waits for it.
      else expect(status).toMatchObject({ failed: 0, succeeded: 1, done: false });
      // The redrive's retry of the same record finishes the move; the task runs again.
      await requeueTask(tiny, ref);
      expect((await readTask(tiny, ref.taskId))?.status).toBe("REQUEUED");
      await claimTask(tiny, { ...ref, owner: "c", leaseSeconds: 30 });
      const last = await run(tiny, job, 0);
      if (notice) expect(last).toBeUndefined();
      else expect(last).toMatchObject({ state: "succeeded", succeeded: 2, failed: 0 });
    }
  });

  it("a shard whose first writer died before announcing it is announced by the write that completes it", async () => {
    const job = await newJob(tiny, 8);
    // Task 0's count landed and its worker died: shard 0 (tasks 0 and 2) was written, never announced.
    await countOutcome(tiny, task(job, 0), "SUCCEEDED", job);
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ succeeded: 0 });
    // Task 2 completes shard 0 and announces it: its counts reach group 0 (whose shard 1 has not started).
    await run(tiny, job, 2);
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ succeeded: 2, done: false });
    for (const i of [1, 3, 4, 5, 6]) await run(tiny, job, i);
    expect(await run(tiny, job, 7)).toMatchObject({ state: "succeeded", succeeded: 8 });
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ succeeded: 8, done: true });
  });

  it("fails a job over its threshold when its failures are in different groups", async () => {
    const job = await newJob(tiny, 8, { toleratedFailureCount: 1 });
    await run(tiny, job, 0, "FAILED");
    expect((await readJob(tiny, job.jobId))?.failedAt).toBeUndefined();
    await run(tiny, job, 5, "FAILED");
    expect(await readJobStatus(tiny, job.jobId)).toMatchObject({ state: "failing", failed: 2 });
  });

  it("a failure redriven to success no longer counts towards the threshold: 256 tasks, one tolerated, end succeeded", async () => {
    const job = await newJob(store, 256, { toleratedFailureCount: 1 });
    // Two shards in one group: task 0 in shard 0, task 1 in shard 1.
    expect([shardOf(job, 0), shardOf(job, 1), shardCount(job)]).toEqual([0, 1, 2]);
    await run(store, job, 0, "FAILED");
    await redriveAndRun(store, job, 0, "SUCCEEDED");
    await run(store, job, 1, "FAILED");
    expect(await readJob(store, job.jobId)).not.toHaveProperty("failedAt");
    const notices = await runAll(store, job, 2, 256);
    expect(notices).toEqual([expect.objectContaining({ state: "succeeded", succeeded: 255, failed: 1 })]);
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ state: "succeeded", cancelled: 0 });
  });

  it("a failure judged final that succeeds on Lambda's retry no longer counts towards the threshold", async () => {
    // The explorer's seed 230: the success took task 0 out of its shard's failed set but did not carry the
    // shard's failures up, so the group kept f0 = 1 and task 1's failure stopped the job as "2 tasks failed".
    const job = await newJob(store, 256, { toleratedFailureCount: 1 });
    await run(store, job, 0, "FAILED");
    await run(store, job, 0, "SUCCEEDED");
    await run(store, job, 1, "FAILED");
    expect(await readJob(store, job.jobId)).not.toHaveProperty("failedAt");
    expect(await runAll(store, job, 2, 256)).toEqual([
      expect.objectContaining({ state: "succeeded", succeeded: 255, failed: 1 }),
    ]);
  });

  it("a retried final failure across groups, settled again after a crash before its group write, leaves the job within tolerance", async () => {
    const job = await newJob(tiny, 8, { toleratedFailureCount: 1 });
    await run(tiny, job, 0, "FAILED");
    // Lambda's retry succeeds; the stream's consumer dies after the shard write, before the group write (the
    // shard write alone), and the stream delivers the change again.
    await run(tiny, job, 0, "SUCCEEDED", false);
    await countOutcome(tiny, { ...task(job, 0) }, "SUCCEEDED", job);
    await stream.settle(tiny, job.jobId);
    await run(tiny, job, 5, "FAILED");
    expect(await readJob(tiny, job.jobId)).not.toHaveProperty("failedAt");
  });

  it("a redriven failure across groups leaves the job within tolerance, and counts again when it fails again", async () => {
    // Tiny layout: task 0 is in shard 0 (group 0), task 5 in shard 3 (group 1).
    const job = await newJob(tiny, 8, { toleratedFailureCount: 1 });
    expect([
      shardOf(job, 0),
      shardOf(job, 5),
      groupCount({ ...job, layout: layoutFor(8, tiny.counterLayout) }),
    ]).toEqual([0, 3, 2]);
    await run(tiny, job, 0, "FAILED");
    await redriveAndRun(tiny, job, 0, "SUCCEEDED");
    await run(tiny, job, 5, "FAILED");
    expect(await readJob(tiny, job.jobId)).not.toHaveProperty("failedAt");
    expect(await runAll(tiny, job, 1, 5)).toEqual([]);
    expect(await runAll(tiny, job, 6, 8)).toEqual([
      expect.objectContaining({ state: "succeeded", succeeded: 7, failed: 1 }),
    ]);

    const again = await newJob(tiny, 8, { toleratedFailureCount: 1 });
    await run(tiny, again, 0, "FAILED");
    await redriveAndRun(tiny, again, 0, "FAILED");
    expect(await readJob(tiny, again.jobId)).not.toHaveProperty("failedAt");
    await run(tiny, again, 5, "FAILED");
    expect(await readJobStatus(tiny, again.jobId)).toMatchObject({ state: "failing", failed: 2 });
  });
});
