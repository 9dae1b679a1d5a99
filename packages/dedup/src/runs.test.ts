import { randomUUID } from "node:crypto";
import { JobConflictError } from "@fanout/core";
import { startLocalResources } from "@fanout/emulators";
import { readJob, readJobStatus, recordJob } from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimTask } from "./claims.ts";
import { type FailedEvent, leaseClockSkewMs, requeueClauseOf, requeueTask } from "./redrive.ts";
import { closeTask, finishRun as finishRunOnly, startRun } from "./runs.ts";
import { readTask } from "./tasks.ts";
import { clockedStore, markDispatchedAsV010, TaskStream } from "./testing.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: ReturnType<typeof clockedStore>;
/** The table's stream: outcomes are counted from it, as the consumer counts them. */
const stream = new TaskStream();
beforeAll(async () => {
  local = await startLocalResources({ onChange: stream.onChange });
  store = clockedStore({ endpoint: local.dynamoEndpoint, tableName: local.resources.tableName });
});
afterAll(() => local.stop());

/** finishRun, then the job's changes counted from the table's stream, as the consumer counts them. */
const finishRun = async (...args: Parameters<typeof finishRunOnly>) => {
  const finished = await finishRunOnly(...args);
  await stream.settle(args[0], args[1].jobId);
  return finished;
};

/** Each job's incarnation, as main puts it into the job's tasks. */
const epochs = new Map<string, number>();
async function newJob(total: number) {
  const jobId = `job-${randomUUID()}`;
  epochs.set(jobId, (await recordJob(store, { jobId, contentHash: "h", total })).epoch);
  return jobId;
}
const ref = (jobId: string, index: number, owner: string) => ({
  taskId: `${jobId}#${index}`,
  jobId,
  index,
  owner,
  epoch: epochs.get(jobId) ?? 0,
});

describe("job records", () => {
  it("accept the same content twice and refuse the same jobId with other content", async () => {
    const jobId = `job-${randomUUID()}`;
    const first = await recordJob(store, { jobId, contentHash: "a", total: 1 });
    expect(first.created).toBe(true);
    // A resubmission gets the same incarnation, so its tasks dedup against the first submission's.
    expect(await recordJob(store, { jobId, contentHash: "a", total: 1 })).toEqual({
      created: false,
      epoch: first.epoch,
    });
    await expect(recordJob(store, { jobId, contentHash: "b", total: 1 })).rejects.toBeInstanceOf(
      JobConflictError,
    );
  });

  it("write a resubmitted job afresh once it finished and its record expired, before TTL deleted it", async () => {
    const jobId = await newJob(1);
    await startRun(store, ref(jobId, 0, "w"), 60);
    await finishRun(store, ref(jobId, 0, "w"), { status: "SUCCEEDED" });
    expect((await readJob(store, jobId))?.finishedAt).toBeDefined();
    store.advance(86_401_000); // past the test store's 1-day TTL, counted from the finish
    expect(await recordJob(store, { jobId, contentHash: "b", total: 2 })).toMatchObject({ created: true });
    expect(await readJobStatus(store, jobId)).toMatchObject({ total: 2 });
  });

  it("keep the record of a job still unfinished past its TTL: a resubmission is the same incarnation", async () => {
    const jobId = `job-${randomUUID()}`;
    const first = await recordJob(store, { jobId, contentHash: "a", total: 1 });
    expect(await readJob(store, jobId)).not.toHaveProperty("expiresAt");
    store.advance(3 * 86_400_000);
    expect(await recordJob(store, { jobId, contentHash: "a", total: 1 })).toEqual({
      created: false,
      epoch: first.epoch,
    });
    await expect(recordJob(store, { jobId, contentHash: "b", total: 1 })).rejects.toBeInstanceOf(
      JobConflictError,
    );
  });

  it("keep the first submission's createdAt when the same job is submitted again later", async () => {
    const jobId = `job-${randomUUID()}`;
    await recordJob(store, { jobId, contentHash: "a", total: 1 });
    const first = (await readJobStatus(store, jobId)).createdAt;
    store.advance(5_000);
    await recordJob(store, { jobId, contentHash: "a", total: 1 });
    expect((await readJobStatus(store, jobId)).createdAt).toBe(first);
  });
});

describe("task runs", () => {
  it("run a dispatched task once and refuse a duplicate event after success", async () => {
    const jobId = await newJob(1);
    const claim = await claimTask(store, { ...ref(jobId, 0, "c"), leaseSeconds: 30 });
    if (claim.outcome !== "claimed") throw new Error(claim.outcome);
    expect(await startRun(store, { ...ref(jobId, 0, "w1"), token: claim.token }, 60)).toMatchObject({
      outcome: "started",
      attempt: 1,
    });
    expect(await finishRun(store, ref(jobId, 0, "w1"), { status: "SUCCEEDED" })).toMatchObject({
      recorded: true,
    });
    expect(await startRun(store, ref(jobId, 0, "w2"), 60)).toEqual({ outcome: "done" });
    expect((await readTask(store, `${jobId}#0`))?.status).toBe("SUCCEEDED");
  });

  it("refuse a second delivery of the same event (same request id) while the first attempt's lease lives", async () => {
    const jobId = await newJob(1);
    // Owners are unique per attempt; Lambda may deliver one event twice at once under one request id.
    expect((await startRun(store, ref(jobId, 0, "req-1/a"), 60)).outcome).toBe("started");
    expect((await startRun(store, ref(jobId, 0, "req-1/b"), 60)).outcome).toBe("busy");
    store.advance(61_000);
    expect(await startRun(store, ref(jobId, 0, "req-1/c"), 60)).toMatchObject({
      outcome: "started",
      attempt: 2,
    });
  });

  it("refuse a concurrent duplicate while the RUNNING lease lives, and take over an expired one", async () => {
    const jobId = await newJob(1);
    expect((await startRun(store, ref(jobId, 0, "w1"), 60)).outcome).toBe("started");
    expect((await startRun(store, ref(jobId, 0, "w2"), 60)).outcome).toBe("busy");
    store.advance(61_000);
    expect(await startRun(store, ref(jobId, 0, "w2"), 60)).toMatchObject({ outcome: "started", attempt: 2 });
    // The first run's late result is refused: it lost its lease.
    expect(await finishRun(store, ref(jobId, 0, "w1"), { status: "SUCCEEDED" })).toEqual({ recorded: false });
  });

  it("keep counters exact when outcomes and counter writes repeat", async () => {
    const jobId = await newJob(300);
    for (const index of [0, 1, 2, 150, 299]) {
      await startRun(store, ref(jobId, index, "w"), 60);
      await finishRun(store, ref(jobId, index, "w"), { status: "SUCCEEDED" });
      // The stream delivers the same changes again.
      await stream.redeliver(store);
      await stream.redeliver(store);
    }
    await startRun(store, ref(jobId, 7, "w"), 60);
    await finishRun(store, ref(jobId, 7, "w"), {
      status: "FAILED",
      error: { type: "Error", message: "boom" },
      final: true,
    });
    expect(await readJobStatus(store, jobId)).toMatchObject({
      total: 300,
      succeeded: 5,
      failed: 1,
      pending: 294,
      done: false,
    });
  });

  it("move a failed task that later succeeds from failed to succeeded", async () => {
    const jobId = await newJob(1);
    await startRun(store, ref(jobId, 0, "w1"), 60);
    await finishRun(store, ref(jobId, 0, "w1"), {
      status: "FAILED",
      error: { type: "Error", message: "boom" },
      final: true,
    });
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 0, failed: 1, done: true });
    expect((await readTask(store, `${jobId}#0`))?.lastError).toMatch(/boom/);
    // Lambda's retry of the failed attempt.
    expect(await startRun(store, ref(jobId, 0, "w2"), 60)).toMatchObject({ outcome: "started", attempt: 2 });
    await finishRun(store, ref(jobId, 0, "w2"), { status: "SUCCEEDED" });
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 1, failed: 0, done: true });
  });

  it("requeue only a FAILED task for redrive, and let it be claimed again", async () => {
    const jobId = await newJob(2);
    await startRun(store, ref(jobId, 0, "w"), 60);
    await finishRun(store, ref(jobId, 0, "w"), {
      status: "FAILED",
      error: { type: "E", message: "m" },
      final: true,
    });
    await startRun(store, ref(jobId, 1, "w"), 60);
    await finishRun(store, ref(jobId, 1, "w"), { status: "SUCCEEDED" });
    expect(
      await requeueTask(store, { taskId: `${jobId}#1`, jobId, index: 1, epoch: epochs.get(jobId) }),
    ).toBe(false);
    expect(
      await requeueTask(store, { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) }),
    ).toBe(true);
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 1, failed: 0, pending: 1 });
    expect((await claimTask(store, { ...ref(jobId, 0, "c"), leaseSeconds: 30 })).outcome).toBe("claimed");
    expect((await claimTask(store, { ...ref(jobId, 1, "c"), leaseSeconds: 30 })).outcome).toBe("duplicate");
  });

  it("requeue a task whose worker died RUNNING once its lease expired (clock skew allowed), never under a live lease", async () => {
    const jobId = await newJob(1);
    expect((await startRun(store, ref(jobId, 0, "crashed"), 60)).outcome).toBe("started");
    expect(
      await requeueTask(store, { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) }),
    ).toBe(false);
    store.advance(61_000); // expired by the operator's clock, which may run ahead of Lambda's
    expect(
      await requeueTask(store, { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) }),
    ).toBe(false);
    store.advance(leaseClockSkewMs);
    expect(
      await requeueTask(store, { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) }),
    ).toBe(true);
    expect((await claimTask(store, { ...ref(jobId, 0, "c"), leaseSeconds: 30 })).outcome).toBe("claimed");
    // The dead run cannot record a late outcome over the new one.
    expect(await finishRun(store, ref(jobId, 0, "crashed"), { status: "SUCCEEDED" })).toEqual({
      recorded: false,
    });
  });

  it("requeue a claimed task whose event failed without running, only when that event holds its latest claim's token", async () => {
    const jobId = await newJob(1);
    const task = { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) };
    const first = await claimTask(store, { ...ref(jobId, 0, "c1"), leaseSeconds: 30 });
    store.advance(31_000);
    const second = await claimTask(store, { ...ref(jobId, 0, "c2"), leaseSeconds: 30 });
    if (first.outcome !== "claimed" || second.outcome !== "claimed") throw new Error("not claimed");
    // Without the failed event's token, or with an older claim's, the task's latest dispatch will end it.
    expect(await requeueTask(store, task)).toBe(false);
    expect(await requeueTask(store, task, { token: first.token })).toBe(false);
    expect(await requeueTask(store, task, { token: second.token })).toBe(true);
    // The failed event's claim is gone: the message's next claim dispatches the task.
    expect((await claimTask(store, { ...ref(jobId, 0, "c3"), leaseSeconds: 30 })).outcome).toBe("claimed");
  });

  it("requeue a task DISPATCHED by v0.1.0 whose event failed without running, only when that event is its latest dispatch", async () => {
    const jobId = await newJob(1);
    const task = { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) };
    await claimTask(store, { ...ref(jobId, 0, "c1"), leaseSeconds: 30 });
    await markDispatchedAsV010(store, task.taskId, "c1", "event-1");
    // Without the failed event's request id, a DISPATCHED task is handed on: not requeued.
    expect(await requeueTask(store, task)).toBe(false);
    // A record of another (older) event: the task was dispatched again since, and that dispatch will end it.
    expect(await requeueTask(store, task, { requestId: "event-0" })).toBe(false);
    expect(await requeueTask(store, task, { requestId: "event-1" })).toBe(true);
    expect((await claimTask(store, { ...ref(jobId, 0, "c2"), leaseSeconds: 30 })).outcome).toBe("claimed");
  });

  it("requeue a dispatched task whose record has no dispatch id (an earlier release's): nothing proves a later dispatch", async () => {
    const jobId = await newJob(1);
    const task = { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) };
    await claimTask(store, { ...ref(jobId, 0, "c1"), leaseSeconds: 30 });
    await markDispatchedAsV010(store, task.taskId, "c1");
    expect(await readTask(store, task.taskId)).not.toHaveProperty("dispatchId");
    expect(await requeueTask(store, task, { requestId: "event-1" })).toBe(true);
    // A worker of a later event (unproven, but possible) meets REQUEUED and leaves the task to its message.
    expect(await startRun(store, ref(jobId, 0, "late"), 60)).toEqual({ outcome: "requeued" });
    expect((await claimTask(store, { ...ref(jobId, 0, "c2"), leaseSeconds: 30 })).outcome).toBe("claimed");
  });

  it("requeueClauseOf predicts requeueTask's condition for every task state (the dry run's rule is the write's)", async () => {
    const rid = "event-1";
    /** Sets a state up; returns the failed event being redriven when it is not v0.1.0's `rid`. */
    type Setup = (jobId: string) => Promise<FailedEvent | undefined>;
    const claimToken = async (jobId: string, owner = "c") => {
      const claim = await claimTask(store, { ...ref(jobId, 0, owner), leaseSeconds: 30 });
      if (claim.outcome !== "claimed") throw new Error(claim.outcome);
      return claim.token;
    };
    const claim: Setup = async (jobId) => {
      await claimToken(jobId);
      return undefined;
    };
    const dispatch =
      (id?: string): Setup =>
      async (jobId) => {
        await claim(jobId);
        await markDispatchedAsV010(store, `${jobId}#0`, "c", id);
        return undefined;
      };
    const start: Setup = async (jobId) => {
      await startRun(store, ref(jobId, 0, "w"), 60);
      return undefined;
    };
    const finish =
      (outcome: "SUCCEEDED" | "FAILED"): Setup =>
      async (jobId) => {
        await start(jobId);
        await finishRun(
          store,
          ref(jobId, 0, "w"),
          outcome === "SUCCEEDED"
            ? { status: outcome }
            : { status: outcome, error: { type: "E", message: "m" }, final: true },
        );
        return undefined;
      };
    const pendingFailure = (jobId: string, token?: string) =>
      finishRun(
        store,
        { ...ref(jobId, 0, "w"), ...(token ? { token } : {}) },
        {
          status: "FAILED",
          error: { type: "E", message: "m" },
          final: false,
        },
      );
    const failPending =
      (id: string): Setup =>
      async (jobId) => {
        await dispatch(id)(jobId);
        await start(jobId);
        await pendingFailure(jobId);
        return undefined;
      };
    /** A tokened run failed with a retry pending; the redriven event is `which` of two claims' events. */
    const failPendingTokened =
      (which: "its own" | "an older claim's" | "one without a token"): Setup =>
      async (jobId) => {
        const older = await claimToken(jobId, "c0");
        store.advance(31_000);
        const token = await claimToken(jobId);
        await startRun(store, { ...ref(jobId, 0, "w"), token }, 60);
        await pendingFailure(jobId, token);
        return which === "its own" ? { token } : which === "an older claim's" ? { token: older } : {};
      };
    const claimedFor =
      (which: "the failed event" | "a later event"): Setup =>
      async (jobId) => {
        const token = await claimToken(jobId, "c0");
        if (which === "the failed event") return { token };
        store.advance(31_000);
        await claimToken(jobId);
        return { token };
      };
    const pastLeases =
      (setup: Setup): Setup =>
      async (jobId) => {
        const failed = await setup(jobId);
        store.advance(61_000 + leaseClockSkewMs);
        return failed;
      };
    const cases: [string, Setup, string | undefined, number?][] = [
      ["no record", async () => undefined, undefined],
      ["CLAIMED under a live lease", claim, undefined],
      ["CLAIMED, its lease ended", pastLeases(claim), "deadClaim"],
      ["CLAIMED for the failed event, live lease", claimedFor("the failed event"), "claimedToken"],
      ["CLAIMED for a later event, live lease", claimedFor("a later event"), undefined],
      ["DISPATCHED by the failed event", dispatch(rid), "failedDispatch"],
      ["DISPATCHED by a later event", dispatch("event-2"), undefined],
      ["DISPATCHED with no dispatch id", dispatch(), "unprovenDispatch"],
      ["RUNNING under a live lease", start, undefined],
      ["RUNNING, its lease ended", pastLeases(start), "deadRun"],
      ["SUCCEEDED", finish("SUCCEEDED"), undefined],
      ["FAILED", finish("FAILED"), "failed"],
      ["FAILED, a redriven task of an older incarnation", finish("FAILED"), undefined, -1],
      // A retry of a later dispatch is pending: requeued beside it, the task would run on two lines at once.
      ["FAILED, retry pending, by a later dispatch", failPending("event-2"), undefined],
      ["FAILED, retry pending, by the failed event", failPending(rid), "failed"],
      ["FAILED, retry pending, by the failed event's token", failPendingTokened("its own"), "failed"],
      ["FAILED, retry pending, by a later claim's event", failPendingTokened("an older claim's"), undefined],
      [
        "FAILED, retry pending (tokened), event without a token",
        failPendingTokened("one without a token"),
        undefined,
      ],
      [
        "CANCELLED",
        async (jobId) => {
          await closeTask(store, ref(jobId, 0, "x"), { status: "CANCELLED" });
          return undefined;
        },
        undefined,
      ],
      [
        "REQUEUED",
        async (jobId) => {
          await finish("FAILED")(jobId);
          await requeueTask(store, { ...ref(jobId, 0, "x") });
          return undefined;
        },
        undefined,
      ],
    ];
    for (const [state, setup, clause, epochShift = 0] of cases) {
      const jobId = await newJob(1);
      const failed = (await setup(jobId)) ?? { requestId: rid };
      const task = { ...ref(jobId, 0, "op"), epoch: (epochs.get(jobId) ?? 0) + epochShift };
      const predicted = requeueClauseOf(await readTask(store, task.taskId), task, failed, store.now());
      expect({ state, predicted }).toEqual({ state, predicted: clause });
      expect({ state, requeued: await requeueTask(store, task, failed) }).toEqual({
        state,
        requeued: clause !== undefined,
      });
    }
  });

  it("requeue a task claimed by a consumer that died, once its claim lease ended", async () => {
    const jobId = await newJob(1);
    const task = { taskId: `${jobId}#0`, jobId, index: 0, epoch: epochs.get(jobId) };
    await claimTask(store, { ...ref(jobId, 0, "c1"), leaseSeconds: 30 });
    expect(await requeueTask(store, task, { requestId: "event-1" })).toBe(false);
    store.advance(31_000 + leaseClockSkewMs);
    expect(await requeueTask(store, task, { requestId: "event-1" })).toBe(true);
  });

  it("run a reused jobId's tasks afresh once its job record expired, with counters of its own", async () => {
    const jobId = `job-${randomUUID()}`;
    const first = await recordJob(store, { jobId, contentHash: "old", total: 1 });
    const old = { ...ref(jobId, 0, "w1"), epoch: first.epoch };
    await claimTask(store, { ...old, leaseSeconds: 30 });
    await startRun(store, old, 60);
    await finishRun(store, old, { status: "SUCCEEDED" });
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 1, done: true });
    store.advance(86_401_000); // past the test store's 1-day TTL: the jobId may carry new content
    const second = await recordJob(store, { jobId, contentHash: "new", total: 1 });
    expect(second.created).toBe(true);
    expect(second.epoch).toBeGreaterThan(first.epoch);
    // The old job's counts are not the new job's.
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 0, pending: 1, done: false });
    // The new task is claimed and run, though the old task's SUCCEEDED record is still there.
    const fresh = { ...ref(jobId, 0, "w2"), epoch: second.epoch };
    expect((await claimTask(store, { ...fresh, leaseSeconds: 30 })).outcome).toBe("claimed");
    // A late message or event of the old job meets the new incarnation and is dropped.
    expect(await claimTask(store, { ...old, owner: "late", leaseSeconds: 30 })).toEqual({
      outcome: "duplicate",
      status: "SUPERSEDED",
    });
    expect(await startRun(store, { ...old, owner: "late" }, 60)).toEqual({ outcome: "superseded" });
    expect((await startRun(store, fresh, 60)).outcome).toBe("started");
    await finishRun(store, fresh, { status: "SUCCEEDED" });
    expect(await readJobStatus(store, jobId)).toMatchObject({
      succeeded: 1,
      done: true,
      epoch: second.epoch,
    });
  });

  it("tell a failure Lambda will still retry from one that is final, and count each per event", async () => {
    const jobId = await newJob(2);
    const event = (owner: string) => ({ ...ref(jobId, 0, owner), eventId: "event-1" });
    expect(await startRun(store, event("a1"), 60)).toMatchObject({ outcome: "started", eventAttempt: 1 });
    await finishRun(store, event("a1"), {
      status: "FAILED",
      error: { type: "E", message: "1" },
      final: false,
    });
    expect(await readJobStatus(store, jobId)).toMatchObject({
      failed: 0,
      retryPending: 1,
      pending: 2,
      done: false,
    });
    // Lambda's retry of the same event: its second attempt.
    expect(await startRun(store, event("a2"), 60)).toMatchObject({ outcome: "started", eventAttempt: 2 });
    await finishRun(store, event("a2"), {
      status: "FAILED",
      error: { type: "E", message: "2" },
      final: true,
    });
    expect(await readJobStatus(store, jobId)).toMatchObject({ failed: 1, retryPending: 0, pending: 1 });
    // Another event (a redrive) starts its own count.
    expect(await startRun(store, { ...ref(jobId, 0, "b1"), eventId: "event-2" }, 60)).toMatchObject({
      eventAttempt: 1,
    });
  });

  it("read the status of a job larger than one BatchGetItem", async () => {
    const jobId = await newJob(20_000);
    await Promise.all(
      [0, 12_800, 19_999].map(async (index) => {
        await startRun(store, ref(jobId, index, "w"), 60);
        await finishRun(store, ref(jobId, index, "w"), { status: "SUCCEEDED" });
      }),
    );
    expect(await readJobStatus(store, jobId)).toMatchObject({ total: 20_000, succeeded: 3 });
  });
});
