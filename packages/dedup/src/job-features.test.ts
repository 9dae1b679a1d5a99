import { randomUUID } from "node:crypto";
import { ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { JobRunOptions } from "@fanout/core";
import { startLocalResources } from "@fanout/emulators";
import {
  acquireSlot,
  cancelJob,
  countDispatched,
  dueNotices,
  holdSlot,
  type JobInfo,
  type JobNotice,
  listJobs,
  markNotified,
  readJob,
  readJobStatus,
  recordJob,
  releaseSlot,
} from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimTask } from "./claims.ts";
import { requeueTask } from "./redrive.ts";
import {
  closeCancelledTask as closeCancelledTaskOnly,
  closeTask as closeTaskOnly,
  finishRun as finishRunOnly,
  startRun,
} from "./runs.ts";
import { readResults } from "./tasks.ts";
import { clockedStore, TaskStream } from "./testing.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: ReturnType<typeof clockedStore>;
/** The table's stream: outcomes are counted from it, as the consumer counts them. */
const stream = new TaskStream();
beforeAll(async () => {
  local = await startLocalResources({ onChange: stream.onChange });
  store = clockedStore({ endpoint: local.dynamoEndpoint, tableName: local.resources.tableName });
});
afterAll(() => local.stop());

async function newJob(total: number, options: JobRunOptions = {}): Promise<JobInfo> {
  const jobId = `job-${randomUUID()}`;
  await recordJob(store, { jobId, contentHash: "h", total, options });
  const job = await readJob(store, jobId);
  if (!job) throw new Error("job record missing");
  return job;
}
const ref = (job: JobInfo, index: number, owner = `w-${index}`) => ({
  taskId: `${job.jobId}#${index}`,
  jobId: job.jobId,
  index,
  owner,
  epoch: job.epoch,
});
const boom = { type: "Error", message: "boom" };

/** Each write, then its job's changes counted from the table's stream; with the notice that won, if any. */
async function settled<T extends object>(jobId: string, written: T): Promise<T & { notice?: JobNotice }> {
  const [notice, ...more] = await stream.settle(store, jobId);
  expect(more).toEqual([]);
  return notice ? { ...written, notice } : written;
}
const finishRun = async (...args: Parameters<typeof finishRunOnly>) =>
  settled(args[1].jobId, await finishRunOnly(...args));
const closeTask = async (...args: Parameters<typeof closeTaskOnly>) =>
  settled(args[1].jobId, await closeTaskOnly(...args));
const closeCancelledTask = async (...args: Parameters<typeof closeCancelledTaskOnly>) =>
  settled(args[1].jobId, await closeCancelledTaskOnly(...args));

/** Runs task `index` to `outcome` as a worker would; returns the notice if this run finished the job. */
async function run(job: JobInfo, index: number, outcome: "SUCCEEDED" | "FAILED", result?: string) {
  const r = ref(job, index);
  expect((await startRun(store, r, 60)).outcome).toBe("started");
  const done = await finishRun(
    store,
    r,
    outcome === "SUCCEEDED"
      ? { status: "SUCCEEDED", ...(result === undefined ? {} : { result }) }
      : { status: "FAILED", error: boom, final: true },
  );
  expect(done.recorded).toBe(true);
  return done.notice;
}

describe("completion", () => {
  it("finishes a job exactly once when its last two tasks finish at the same instant", async () => {
    for (const total of [2, 130]) {
      const job = await newJob(total);
      await Promise.all(Array.from({ length: total - 2 }, (_, i) => run(job, i, "SUCCEEDED")));
      const notices = (
        await Promise.all([run(job, total - 2, "SUCCEEDED"), run(job, total - 1, "FAILED")])
      ).filter((n) => n !== undefined);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({
        type: "job.finished",
        jobId: job.jobId,
        epoch: job.epoch,
        state: "failed",
        reason: `1 of ${total} tasks failed`,
        total,
        succeeded: total - 1,
        failed: 1,
        cancelled: 0,
      });
      expect(await readJobStatus(store, job.jobId)).toMatchObject({ done: true, state: "failed" });
    }
  });

  it("does not finish again when the stream delivers the finishing change again, and says succeeded when nothing failed", async () => {
    const job = await newJob(3);
    expect(await run(job, 0, "SUCCEEDED")).toBeUndefined();
    expect(await run(job, 1, "SUCCEEDED")).toBeUndefined();
    expect(await run(job, 2, "SUCCEEDED")).toMatchObject({ state: "succeeded", succeeded: 3 });
    expect(await stream.redeliver(store)).toEqual([]);
  });

  it("finishes a job cancelled between the finish's read and its write as cancelled, not succeeded", async () => {
    const job = await newJob(1);
    // The cancel lands right before the finish's write: an interleaving the emulator cannot be asked for.
    let cancelled: unknown;
    const name = "cancel-before-finish";
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (
          context.commandName === "UpdateItemCommand" &&
          input.UpdateExpression?.startsWith("SET finishedAt")
        )
          cancelled ??= await cancelJob(store, job.jobId);
        return next(args);
      },
      { step: "initialize", name },
    );
    try {
      expect(await run(job, 0, "SUCCEEDED")).toMatchObject({ state: "cancelled", succeeded: 1 });
    } finally {
      store.client.middlewareStack.remove(name);
    }
    expect(cancelled).toMatchObject({ outcome: "cancelled" });
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ done: true, state: "cancelled" });
  });

  it("finishes a job whose finishing run died right after its outcome write: the write is on the stream", async () => {
    const job = await newJob(1);
    const r = ref(job, 0);
    await startRun(store, r, 60);
    // The run's process dies right after its outcome write: nothing else of it happens.
    await finishRunOnly(store, r, { status: "SUCCEEDED" });
    expect((await readJob(store, job.jobId))?.finishedAt).toBeUndefined();
    expect(await stream.settle(store, job.jobId)).toMatchObject([{ state: "succeeded" }]);
  });

  it("keeps a finished job's notice in the outbox until it is marked published", async () => {
    const job = await newJob(1);
    const notice = await run(job, 0, "SUCCEEDED");
    store.advance(60_000);
    const due = (await dueNotices(store, 30_000, 1000)).filter((n) => n.jobId === job.jobId);
    expect(due).toEqual([notice]);
    await markNotified(store, job);
    expect((await dueNotices(store, 30_000, 1000)).filter((n) => n.jobId === job.jobId)).toEqual([]);
    expect((await readJob(store, job.jobId))?.notifiedAt).toBeGreaterThan(0);
  });
});

describe("failure thresholds", () => {
  it("fail and stop the job once final failures exceed toleratedFailureCount", async () => {
    const job = await newJob(10, { toleratedFailureCount: 1 });
    await run(job, 0, "FAILED");
    expect((await readJob(store, job.jobId))?.failedAt).toBeUndefined();
    await run(job, 1, "FAILED");
    const stopped = await readJob(store, job.jobId);
    expect(stopped?.failedAt).toBeGreaterThan(0);
    expect(stopped?.cancelledAt).toBeGreaterThan(0);
    expect(stopped?.stopReason).toBe(
      "failure threshold exceeded: 2 tasks failed, toleratedFailureCount is 1",
    );
    expect((await readJobStatus(store, job.jobId)).state).toBe("failing");
    // The rest are cancelled as the consumer and the worker meet them; the last one finishes the job.
    for (let i = 2; i < 9; i++)
      expect((await closeTask(store, ref(job, i), { status: "CANCELLED" })).closed).toBe(true);
    const last = await closeTask(store, ref(job, 9), { status: "CANCELLED" });
    expect(last).toMatchObject({ closed: true, notice: { state: "failed", failed: 2, cancelled: 8 } });
  });

  it("count a repeated final-failure write once towards the threshold", async () => {
    const job = await newJob(4, { toleratedFailurePercentage: 25 });
    await run(job, 0, "FAILED");
    // The same failure settled again (a lost answer, retried) must not make it two.
    await finishRun(store, ref(job, 0), { status: "FAILED", error: boom, final: true });
    expect((await readJob(store, job.jobId))?.failedAt).toBeUndefined();
    await run(job, 1, "FAILED");
    expect((await readJob(store, job.jobId))?.stopReason).toMatch(
      /2 of 4 tasks failed \(50%\), toleratedFailurePercentage is 25/,
    );
  });

  it("let a job with failures within its tolerance succeed", async () => {
    const job = await newJob(2, { toleratedFailureCount: 1 });
    await run(job, 0, "FAILED");
    expect(await run(job, 1, "SUCCEEDED")).toMatchObject({ state: "succeeded", failed: 1, succeeded: 1 });
  });
});

describe("cancel", () => {
  it("tells a cancel, a second cancel, an unknown job and a finished job apart", async () => {
    const job = await newJob(1);
    expect(await cancelJob(store, job.jobId)).toMatchObject({
      outcome: "cancelled",
      job: { cancelledAt: expect.any(Number) },
    });
    expect(await cancelJob(store, job.jobId)).toMatchObject({ outcome: "already-cancelled" });
    expect(await cancelJob(store, `job-${randomUUID()}`)).toEqual({ outcome: "not-found" });
    const done = await newJob(1);
    await run(done, 0, "SUCCEEDED");
    expect(await cancelJob(store, done.jobId)).toMatchObject({ outcome: "finished" });
  });

  it("closes a claimed (dispatched) task as CANCELLED so that no worker starts it and no consumer claims it again", async () => {
    const job = await newJob(2);
    await claimTask(store, { ...ref(job, 0, "c"), leaseSeconds: 30 });
    expect((await closeTask(store, ref(job, 0), { status: "CANCELLED" })).closed).toBe(true);
    expect(await startRun(store, ref(job, 0, "late"), 60)).toEqual({ outcome: "cancelled" });
    expect(await claimTask(store, { ...ref(job, 0, "c2"), leaseSeconds: 30 })).toEqual({
      outcome: "duplicate",
      status: "CANCELLED",
    });
    expect(await requeueTask(store, ref(job, 0))).toBe(false);
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ cancelled: 1, pending: 1 });
  });

  it("count a task once, as cancelled, when a failure judged final was retried, failed again and was then cancelled", async () => {
    const job = await newJob(1);
    await run(job, 0, "FAILED");
    // Lambda retried anyway: the retry fails with a retry still to come, then the job is cancelled.
    const retry = ref(job, 0, "retry");
    expect((await startRun(store, retry, 60)).outcome).toBe("started");
    await finishRun(store, retry, { status: "FAILED", error: boom, final: false });
    expect((await closeTask(store, retry, { status: "CANCELLED" })).closed).toBe(true);
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ failed: 0, cancelled: 1, retryPending: 0 });
  });

  it("never closes a live run, a success or a final failure", async () => {
    const job = await newJob(3);
    await startRun(store, ref(job, 0), 60);
    await run(job, 1, "SUCCEEDED");
    await run(job, 2, "FAILED");
    for (const [i, status] of [
      [0, "RUNNING"],
      [1, "SUCCEEDED"],
      [2, "FAILED"],
    ] as const)
      expect(await closeTask(store, ref(job, i), { status: "CANCELLED" })).toMatchObject({
        closed: false,
        status,
        superseded: false,
      });
    // Once the live run's lease has ended (its worker was stopped), it may be closed.
    store.advance(61_000);
    expect((await closeTask(store, ref(job, 0), { status: "CANCELLED" })).closed).toBe(true);
  });

  it("answers the consumer and the worker alike for a cancelled job's task: closed, running until its lease, or not startable with the job's notice", async () => {
    const job = await newJob(3);
    await startRun(store, ref(job, 0), 60);
    await run(job, 1, "SUCCEEDED");
    await cancelJob(store, job.jobId);
    const cancelled = (await readJob(store, job.jobId)) ?? job;
    const running = await closeCancelledTask(store, ref(job, 0));
    expect(running.outcome).toBe("running");
    expect(running.outcome === "running" && running.leaseUntil).toBeGreaterThan(store.now());
    expect(await closeCancelledTask(store, ref(job, 2))).toEqual({ outcome: "closed" });
    // The run ends (its success finishes the job); a duplicate of task 1's event meets a success.
    expect(await finishRun(store, ref(job, 0), { status: "SUCCEEDED" })).toMatchObject({
      notice: { state: "cancelled", succeeded: 2, cancelled: 1 },
    });
    expect(await closeCancelledTask(store, ref(job, 1))).toEqual({
      outcome: "not-startable",
      status: "SUCCEEDED",
    });
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ succeeded: 2, cancelled: 1, done: true });
  });
});

describe("concurrency slots", () => {
  it("hand out at most maxConcurrency slots to concurrent takers, and give a released one to the next", async () => {
    for (const cap of [3, 30]) {
      const job = await newJob(50, { maxConcurrency: cap });
      const slotJob = { jobId: job.jobId, epoch: job.epoch, maxConcurrency: cap };
      const taken = await Promise.all(
        Array.from({ length: cap + 10 }, (_, i) => acquireSlot(store, slotJob, `t${i}`, 60, cap)),
      );
      const held = taken.flatMap((k, i) => (k === undefined ? [] : [[k, `t${i}`] as const]));
      expect(held.map(([k]) => k).sort((a, b) => a - b)).toEqual(Array.from({ length: cap }, (_, k) => k));
      expect(await acquireSlot(store, slotJob, "late", 60, cap)).toBeUndefined();
      const [slot, holder] = held[0] ?? [0, ""];
      await releaseSlot(store, slotJob, slot, "someone else");
      expect(await acquireSlot(store, slotJob, "late", 60, cap)).toBeUndefined();
      await releaseSlot(store, slotJob, slot, holder);
      expect(await acquireSlot(store, slotJob, "late", 60, cap)).toBe(slot);
    }
  });

  it("give a holder back its own slot (the dispatch's, or one kept for a retry) instead of a second one", async () => {
    const job = await newJob(5, { maxConcurrency: 2 });
    const slotJob = { jobId: job.jobId, epoch: job.epoch, maxConcurrency: 2 };
    const k = await acquireSlot(store, slotJob, "task-1", 60);
    expect(await acquireSlot(store, slotJob, "task-1", 60)).toBe(k);
    expect(await acquireSlot(store, slotJob, "task-2", 60)).toBe(k === 0 ? 1 : 0);
    expect(await holdSlot(store, slotJob, k ?? 0, "task-2", 60)).toBe(false);
    expect(await holdSlot(store, slotJob, k ?? 0, "task-1", 600)).toBe(true);
  });

  it("free a slot whose holder died once its lease ends", async () => {
    const job = await newJob(5, { maxConcurrency: 1 });
    const slotJob = { jobId: job.jobId, epoch: job.epoch, maxConcurrency: 1 };
    expect(await acquireSlot(store, slotJob, "dies", 60)).toBe(0);
    expect(await acquireSlot(store, slotJob, "waits", 60)).toBeUndefined();
    store.advance(61_000);
    expect(await acquireSlot(store, slotJob, "waits", 60)).toBe(0);
  });
});

describe("results and status", () => {
  it("store each result with its task's success and read them back in index order", async () => {
    const job = await newJob(4);
    await run(job, 2, "SUCCEEDED", JSON.stringify({ received: { n: 2 } }));
    await run(job, 0, "SUCCEEDED", JSON.stringify("zero"));
    await run(job, 1, "FAILED");
    expect(await readResults(store, job, { from: 0, count: 10 })).toEqual([
      { index: 0, status: "succeeded", result: "zero" },
      { index: 1, status: "failed", error: boom, final: true },
      { index: 2, status: "succeeded", result: { received: { n: 2 } } },
      { index: 3, status: "pending" },
    ]);
  });

  it("count dispatched tasks as running until their outcome or a pending retry", async () => {
    const job = await newJob(3);
    await countDispatched(store, job, [0, 1]);
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ running: 2, pending: 3, state: "running" });
    await startRun(store, ref(job, 0), 60);
    await finishRun(store, ref(job, 0), { status: "SUCCEEDED" });
    await startRun(store, ref(job, 1), 60);
    await finishRun(store, ref(job, 1), { status: "FAILED", error: boom, final: false });
    expect(await readJobStatus(store, job.jobId)).toMatchObject({
      running: 0,
      succeeded: 1,
      retryPending: 1,
      pending: 2,
    });
  });

  it("leave a task out of running when its dispatch is counted after its outcome", async () => {
    const job = await newJob(2);
    await startRun(store, ref(job, 0), 60);
    await finishRun(store, ref(job, 0), { status: "SUCCEEDED" });
    await countDispatched(store, job, [0]);
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ running: 0, succeeded: 1, pending: 1 });
  });

  it("list jobs newest first, page by page", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      store.advance(1_000);
      ids.push((await newJob(1)).jobId);
    }
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await listJobs(store, { limit: 2, ...(after === undefined ? {} : { after }) });
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((j) => j.jobId));
      after = page.next;
    } while (after !== undefined && seen.length < 200);
    const mine = seen.filter((id) => ids.includes(id));
    expect(mine).toEqual([...ids].reverse());
  });
});

describe("expiry (issue 18)", () => {
  const day = 86_400_000;
  const nowSec = () => Math.floor(store.now() / 1000);
  /** Every item of a job (its record, counters, slots) with its expiresAt, by key. */
  async function itemsOf(jobId: string): Promise<Map<string, number | undefined>> {
    const out = await store.client.send(
      new ScanCommand({
        TableName: store.tableName,
        FilterExpression: "begins_with(pk, :job)",
        ExpressionAttributeValues: { ":job": { S: `JOB#${jobId}` } },
      }),
    );
    return new Map(
      (out.Items ?? []).map((item) => [
        item.pk?.S ?? "",
        item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N),
      ]),
    );
  }

  it("a job still unfinished past its TTL answers cancel, stays one incarnation, finishes with its notice, then expires from its finish", async () => {
    // A capped job whose last tasks run long after its TTL (held back behind its cap, say).
    const job = await newJob(3, { maxConcurrency: 1, toleratedFailureCount: 1 });
    await run(job, 0, "SUCCEEDED");
    await run(job, 1, "FAILED");
    const other = await newJob(1);
    store.advance(2 * day); // the test store's TTL is 1 day
    const slotJob = { jobId: job.jobId, epoch: job.epoch, maxConcurrency: 1 };
    expect(await acquireSlot(store, slotJob, `${job.jobId}#2`, 60)).toBe(0);

    // DynamoDB's TTL deletes nothing of it: no item has an expiry in the past (a held slot's is ahead).
    for (const [pk, expiresAt] of await itemsOf(job.jobId))
      expect({ pk, expired: expiresAt !== undefined && expiresAt < nowSec() }).toEqual({
        pk,
        expired: false,
      });
    // The same document submitted again is the same incarnation (not a second one running beside it).
    expect(
      await recordJob(store, { jobId: job.jobId, contentHash: "h", total: 3, options: job.options }),
    ).toEqual({ created: false, epoch: job.epoch });
    // Cancel finds it.
    expect(await cancelJob(store, other.jobId)).toMatchObject({ outcome: "cancelled" });
    expect(await closeTask(store, ref(other, 0), { status: "CANCELLED" })).toMatchObject({
      closed: true,
      notice: { state: "cancelled", cancelled: 1 },
    });

    // Its last task finishes it: one notice, and the expiry counts from now, for the record and its counters.
    expect(await run(job, 2, "SUCCEEDED")).toMatchObject({ state: "succeeded", succeeded: 2, failed: 1 });
    const finished = await readJob(store, job.jobId);
    expect(finished?.expiresAt).toBeGreaterThanOrEqual(nowSec() + 86_400 - 1);
    expect(finished).not.toHaveProperty("countersExpireAt");
    for (const [pk, expiresAt] of await itemsOf(job.jobId)) {
      if (pk.includes("#SLOT#")) continue; // a slot keeps its own: one taken or held last
      expect({ pk, expiresAt }).toEqual({ pk, expiresAt: finished?.expiresAt });
    }
    expect(await readJobStatus(store, job.jobId)).toMatchObject({
      state: "succeeded",
      succeeded: 2,
      failed: 1,
    });

    // Past its expiry the finished job is gone: not found by cancel, and its jobId starts a new incarnation.
    store.advance(day + 1_000);
    expect(await cancelJob(store, job.jobId)).toEqual({ outcome: "not-found" });
    const again = await recordJob(store, {
      jobId: job.jobId,
      contentHash: "h",
      total: 3,
      options: job.options,
    });
    expect(again.created).toBe(true);
    expect(again.epoch).toBeGreaterThan(job.epoch);
  });

  it("a finisher that died before its counters had their expiry leaves that to the next settling write", async () => {
    const job = await newJob(1);
    await run(job, 0, "SUCCEEDED");
    const finished = await readJob(store, job.jobId);
    const expiry = finished?.expiresAt ?? 0;
    // As the winner's record looks if it died right after winning: counters without expiry, the mark left.
    await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: { pk: { S: `JOB#${job.jobId}` } },
        UpdateExpression: "SET countersExpireAt = :exp",
        ExpressionAttributeValues: { ":exp": { N: String(expiry) } },
      }),
    );
    for (const pk of (await itemsOf(job.jobId)).keys())
      if (pk !== `JOB#${job.jobId}`)
        await store.client.send(
          new UpdateItemCommand({
            TableName: store.tableName,
            Key: { pk: { S: pk } },
            UpdateExpression: "REMOVE expiresAt",
          }),
        );
    // The stream delivers the task's change again (at least once).
    expect(await stream.redeliver(store)).toEqual([]);
    expect(await readJob(store, job.jobId)).not.toHaveProperty("countersExpireAt");
    for (const [pk, expiresAt] of await itemsOf(job.jobId))
      expect({ pk, expiresAt }).toEqual({ pk, expiresAt: expiry });
  });
});
