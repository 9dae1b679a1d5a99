import {
  createLogger,
  makeTask as makeCoreTask,
  makePayloadTask,
  requestCounts,
  taskIdOf,
} from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { claimTask, readTask, startRun } from "@fanout/dedup";
import { clockedStore, TaskStream } from "@fanout/dedup/testing";
import { startLocalResources } from "@fanout/emulators";
import {
  acquireSlot,
  cancelJob,
  createStore,
  holdSlot,
  readJobStatus,
  readSlots,
  recordJob,
} from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { NoSlotError, OutcomeNotRecordedError, TaskBusyError } from "./errors.ts";
import { makeWorker, type TaskHandler } from "./wrapper.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: ReturnType<typeof createStore>;
/** The table's stream: the job's counts come from it, as the consumer counts them. */
const stream = new TaskStream();
beforeAll(async () => {
  local = await startLocalResources({ onChange: stream.onChange });
  Object.assign(process.env, local.env());
  store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 });
});
afterAll(() => local.stop());

/** The job's status once the stream's changes so far are counted. */
async function countedStatus(s: Parameters<typeof readJobStatus>[0], jobId: string) {
  await stream.settle(s, jobId);
  return readJobStatus(s, jobId);
}

let jobs = 0;
const epochs = new Map<string, number>();
async function job(total: number) {
  const jobId = `w-${++jobs}-${Date.now()}`;
  epochs.set(jobId, (await recordJob(store, { jobId, contentHash: "h", total })).epoch);
  return jobId;
}
/** The name of a seed-format task. */
const nameOf = (task: { payload: unknown }) => (task.payload as { name: string }).name;

/** A task as main makes it: with its job's incarnation. */
const makeTask = (jobId: string, index: number, name: string) =>
  makeCoreTask(jobId, index, name, epochs.get(jobId));

function worker(handler: TaskHandler, extra: Partial<Parameters<typeof makeWorker>[1]> = {}) {
  return makeWorker(handler, { store, logger: createLogger("worker-test"), leaseSeconds: 60, ...extra });
}

/** Fails the first `times` sends of the DynamoDB writes that record SUCCEEDED (a fault dynalite cannot make). */
function failSucceededWrites(times: number) {
  let left = times;
  const faulty = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 });
  faulty.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args as { input?: { ExpressionAttributeValues?: Record<string, { S?: string }> } })
        .input;
      if (
        context.commandName === "UpdateItemCommand" &&
        input?.ExpressionAttributeValues?.[":status"]?.S === "SUCCEEDED" &&
        left > 0
      ) {
        left -= 1;
        throw Object.assign(new Error("injected: internal server error"), {
          name: "InternalServerError",
          $fault: "server",
        });
      }
      return next(args);
    },
    { step: "initialize", name: "failSucceeded" },
  );
  return faulty;
}

describe("worker wrapper", () => {
  it("does not run a task again on a duplicate event after it succeeded, and keeps counters exact", async () => {
    const jobId = await job(2);
    const runs: string[] = [];
    const handler = worker(async (task) => void runs.push(nameOf(task)));
    const event = makeTask(jobId, 0, "Name1");
    expect(await handler(event, testContext())).toMatchObject({ status: "SUCCEEDED" });
    expect(await handler(structuredClone(event), testContext())).toMatchObject({ status: "duplicate" });
    expect(await handler(structuredClone(event), testContext())).toMatchObject({ status: "duplicate" });
    expect(runs).toEqual(["Name1"]);
    expect(await countedStatus(store, jobId)).toMatchObject({ succeeded: 1, failed: 0, pending: 1 });
  });

  it("runs a task once when duplicate events arrive at the same time, failing the others as busy", async () => {
    const jobId = await job(1);
    let runs = 0;
    const handler = worker(async () => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 50));
    });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => handler(makeTask(jobId, 0, "x"), testContext())),
    );
    expect(runs).toBe(1);
    const ok = results.filter((r) => r.status === "fulfilled").map((r) => r.value.status);
    const busy = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok.filter((s) => s === "SUCCEEDED")).toHaveLength(1);
    for (const s of ok) expect(["SUCCEEDED", "duplicate"]).toContain(s);
    for (const r of busy) expect(r.reason).toBeInstanceOf(TaskBusyError);
    expect(ok.length + busy.length).toBe(8);
  });

  it("does not lose a task whose worker died RUNNING: the retry fails as busy while the lease lives, then runs it", async () => {
    const jobId = await job(1);
    const clocked = clockedStore({ tableName: local.resources.tableName });
    // The attempt that died: it took the lease and never recorded an outcome.
    expect(
      (
        await startRun(
          clocked,
          { taskId: `${jobId}#0`, jobId, index: 0, owner: "dead", epoch: epochs.get(jobId) },
          60,
        )
      ).outcome,
    ).toBe("started");
    const runs: string[] = [];
    const handler = makeWorker(async (task) => void runs.push(nameOf(task)), {
      store: clocked,
      logger: createLogger("worker-test"),
      leaseSeconds: 60,
    });
    // Lambda's first retry, 1 minute later in AWS; here while the lease still lives. Returning normally
    // would end Lambda's retries with the task stuck RUNNING.
    await expect(handler(makeTask(jobId, 0, "x"), testContext())).rejects.toBeInstanceOf(TaskBusyError);
    expect(runs).toEqual([]);
    clocked.advance(61_000);
    expect(await handler(makeTask(jobId, 0, "x"), testContext())).toMatchObject({ status: "SUCCEEDED" });
    expect(runs).toEqual(["x"]);
    expect(await readTask(clocked, `${jobId}#0`)).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(await countedStatus(clocked, jobId)).toMatchObject({ succeeded: 1, done: true });
  });

  it("runs a task once when Lambda delivers the same event (same request id) twice at once", async () => {
    const jobId = await job(1);
    let runs = 0;
    const handler = worker(async () => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 50));
    });
    const ctx = () => testContext({ awsRequestId: "req-twice" });
    const results = await Promise.allSettled([
      handler(makeTask(jobId, 0, "x"), ctx()),
      handler(makeTask(jobId, 0, "x"), ctx()),
    ]);
    expect(runs).toBe(1);
    expect(
      results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason),
    ).toEqual([expect.any(TaskBusyError)]);
  });

  it("does not run a task again when recording SUCCEEDED failed several times: the write is retried", async () => {
    const jobId = await job(1);
    let runs = 0;
    const handler = worker(
      async () => {
        runs += 1;
      },
      { store: failSucceededWrites(5) },
    );
    expect(await handler(makeTask(jobId, 0, "x"), testContext())).toMatchObject({ status: "SUCCEEDED" });
    // Lambda's duplicate or retry of the same event finds the outcome and does not run it again.
    expect(await handler(makeTask(jobId, 0, "x"), testContext())).toMatchObject({ status: "duplicate" });
    expect(runs).toBe(1);
    expect(await countedStatus(store, jobId)).toMatchObject({ succeeded: 1, done: true });
  });

  it("aborts a timed-out handler's signal, and ends the process when the handler does not stop", async () => {
    const jobId = await job(2);
    let aborted = 0;
    let exits = 0;
    const stubborn = worker(
      (_task, { signal }) => {
        signal.addEventListener("abort", () => {
          aborted += 1;
        });
        return new Promise(() => {}); // ignores its signal
      },
      {
        outcomeReserveMs: 500,
        abortGraceMs: 100,
        exit: () => {
          exits += 1;
        },
      },
    );
    await expect(stubborn(makeTask(jobId, 0, "x"), testContext({ budgetMs: 1_000 }))).rejects.toThrow(
      /did not finish/,
    );
    expect([aborted, exits]).toEqual([1, 1]);
    expect(await readTask(store, `${jobId}#0`)).toMatchObject({ status: "FAILED" });
    // A handler that stops when its signal aborts ends the invocation normally: no exit.
    const polite = worker(
      (_task, { signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      {
        outcomeReserveMs: 500,
        abortGraceMs: 1_000,
        exit: () => {
          exits += 1;
        },
      },
    );
    await expect(polite(makeTask(jobId, 1, "y"), testContext({ budgetMs: 1_000 }))).rejects.toThrow(
      /did not finish/,
    );
    expect(exits).toBe(1);
  });

  it("rethrows a failure so Lambda retries, and records it on the task", async () => {
    const jobId = await job(1);
    const handler = worker(async () => {
      throw new TypeError("no such host");
    });
    await expect(handler(makeTask(jobId, 0, "x"), testContext())).rejects.toThrow("no such host");
    const record = await readTask(store, taskIdOf({ jobId, index: 0 }));
    expect(record).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(JSON.parse(record?.lastError ?? "{}")).toEqual({ type: "TypeError", message: "no such host" });
    // Not dispatched by a consumer (invoked by hand): nothing says Lambda will retry it, so it is final.
    expect(await countedStatus(store, jobId)).toMatchObject({ failed: 1, retryPending: 0, done: true });
  });

  it("counts a failure as final once the event's retries are spent, and as pending before", async () => {
    const jobId = await job(1);
    // Dispatched by a consumer: Lambda retries the event.
    const taskId = `${jobId}#0`;
    const claim = await claimTask(store, {
      taskId,
      jobId,
      index: 0,
      owner: "c",
      leaseSeconds: 30,
      epoch: epochs.get(jobId),
    });
    if (claim.outcome !== "claimed") throw new Error(claim.outcome);
    const event = { ...makeTask(jobId, 0, "x"), token: claim.token };
    const handler = worker(
      async () => {
        throw new Error("always");
      },
      { asyncRetries: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 } },
    );
    const sameEvent = () => testContext({ awsRequestId: `event-${jobId}` });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await expect(handler(event, sameEvent())).rejects.toThrow("always");
      expect(await countedStatus(store, jobId)).toMatchObject(
        attempt <= 2
          ? { failed: 0, retryPending: 1, done: false }
          : { failed: 1, retryPending: 0, done: true },
      );
    }
    expect(JSON.parse((await readTask(store, `${jobId}#0`))?.lastError ?? "{}")).toMatchObject({
      message: "always",
    });
  });

  it("runs a failed task again on Lambda's retry and counts it once it succeeds", async () => {
    const jobId = await job(1);
    let calls = 0;
    const handler = worker(async () => {
      calls += 1;
      if (calls === 1) throw new Error("flaky");
    });
    await expect(handler(makeTask(jobId, 0, "x"), testContext())).rejects.toThrow("flaky");
    expect(await handler(makeTask(jobId, 0, "x"), testContext())).toMatchObject({ status: "SUCCEEDED" });
    expect(await readTask(store, `${jobId}#0`)).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(await countedStatus(store, jobId)).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it("does not run an event of an earlier claim that Lambda delivers after the task was claimed again, nor retry it", async () => {
    const jobId = await job(1);
    const taskId = `${jobId}#0`;
    const clocked = clockedStore({ tableName: local.resources.tableName });
    const claimOf = async (owner: string) => {
      const claim = await claimTask(clocked, {
        taskId,
        jobId,
        index: 0,
        owner,
        leaseSeconds: 30,
        epoch: epochs.get(jobId),
      });
      if (claim.outcome !== "claimed") throw new Error(claim.outcome);
      return claim.token;
    };
    const first = await claimOf("c1");
    clocked.advance(31_000); // the first event waited in Lambda's queue past its claim's lease
    const second = await claimOf("c2");
    const ran: string[] = [];
    const handler = worker(
      async (t) => {
        ran.push(t.taskId);
      },
      { store: clocked },
    );
    expect(await handler({ ...makeTask(jobId, 0, "x"), token: first }, testContext())).toEqual({
      taskId,
      status: "duplicate",
    });
    expect(ran).toEqual([]);
    expect(await readTask(store, taskId)).toMatchObject({ status: "CLAIMED", token: second });
    expect(await handler({ ...makeTask(jobId, 0, "x"), token: second }, testContext())).toMatchObject({
      status: "SUCCEEDED",
    });
    expect(ran).toEqual([taskId]);
  });

  it("fails with OutcomeNotRecordedError carrying the DynamoDB error as its cause when SUCCEEDED cannot be written", async () => {
    const jobId = await job(1);
    const handler = worker(async () => {}, { store: failSucceededWrites(1_000), outcomeReserveMs: 100 });
    // Under 1.5 s left: the write is not retried, so the first refusal is the outcome.
    const error = await handler(makeTask(jobId, 0, "x"), testContext({ budgetMs: 1_400 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutcomeNotRecordedError);
    expect((error as Error).cause).toMatchObject({ name: "InternalServerError" });
  });

  it("records FAILED before the function's timeout instead of dying unrecorded", async () => {
    const jobId = await job(1);
    const handler = worker(() => new Promise(() => {}), {
      outcomeReserveMs: 1_000,
      abortGraceMs: 100,
      exit: () => {},
    });
    await expect(handler(makeTask(jobId, 0, "x"), testContext({ budgetMs: 1_300 }))).rejects.toThrow(
      /did not finish/,
    );
    expect(await readTask(store, `${jobId}#0`)).toMatchObject({ status: "FAILED" });
  });

  it("rejects a malformed event without touching any record", async () => {
    let runs = 0;
    const handler = worker(async () => {
      runs += 1;
    });
    await expect(handler({ name: "seed-style" }, testContext())).rejects.toThrow(/invalid worker event/);
    await expect(handler("not json", testContext())).rejects.toThrow(/invalid worker event/);
    expect(runs).toBe(0);
  });
});

describe("worker wrapper: job features", () => {
  /** A job of the tasks format with options, as main records it; returns its id and incarnation. */
  async function jobWith(total: number, options: Parameters<typeof recordJob>[1]["options"] = {}) {
    const jobId = `wf-${++jobs}-${Date.now()}`;
    const { epoch } = await recordJob(store, { jobId, contentHash: "h", total, options });
    epochs.set(jobId, epoch);
    return {
      jobId,
      epoch,
      task: (index: number, payload: unknown) => makePayloadTask(jobId, index, payload, epoch),
    };
  }

  it("hands the handler its payload typed by the schema, and stores what it returns as the result", async () => {
    const { jobId, task } = await jobWith(1);
    const schema = z.strictObject({ url: z.string(), width: z.number() });
    const handler = makeWorker(async (t) => ({ thumb: `${t.payload.url}@${t.payload.width}` }), {
      store,
      logger: createLogger("worker-test"),
      leaseSeconds: 60,
      schema,
    });
    expect(await handler(task(0, { url: "u", width: 3 }), testContext())).toEqual({
      taskId: `${jobId}#0`,
      status: "SUCCEEDED",
      result: { thumb: "u@3" },
    });
    expect((await readTask(store, `${jobId}#0`))?.result).toBe('{"thumb":"u@3"}');
  });

  it("fails a task whose payload the schema refuses for good, before the RUNNING write and without running it", async () => {
    const { jobId, task } = await jobWith(2);
    let runs = 0;
    const handler = makeWorker(
      async () => {
        runs += 1;
      },
      {
        store,
        logger: createLogger("worker-test"),
        leaseSeconds: 60,
        schema: z.strictObject({ url: z.string() }),
      },
    );
    await expect(handler(task(0, { url: 7 }), testContext())).rejects.toThrow(
      /invalid task payload: url: Invalid input: expected string, received number/,
    );
    expect(runs).toBe(0);
    expect(await readTask(store, `${jobId}#0`)).toMatchObject({ status: "FAILED", attempts: 0 });
    expect(await countedStatus(store, jobId)).toMatchObject({ failed: 1, pending: 1 });
  });

  it("fails a task whose result is over the limit with ResultTooLargeError, storing nothing of it", async () => {
    const { jobId, task } = await jobWith(1);
    const handler = worker(async () => ({ blob: "x".repeat(100) }), { resultMaxBytes: 64 });
    await expect(handler(task(0, null), testContext())).rejects.toThrow(
      /result is 111 bytes as JSON, over the 64-byte limit/,
    );
    const record = await readTask(store, `${jobId}#0`);
    expect(record).toMatchObject({ status: "FAILED" });
    expect(record?.result).toBeUndefined();
    expect(record?.lastError).toMatch(/ResultTooLargeError/);
  });

  it("skips a dispatched task of a cancelled job without running it, and lets a running one finish", async () => {
    const { jobId, epoch, task } = await jobWith(2);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ran: number[] = [];
    // Resolved when task 0's handler runs: the wait is for that, however slow the machine.
    let started: () => void = () => {};
    const startedRunning = new Promise<void>((resolve) => {
      started = resolve;
    });
    // A container that read the job record within jobCacheMs may start a task dispatched after the cancel
    // (job-cache.test.ts); this one reads it for every task.
    const handler = worker(
      async (t) => {
        ran.push(t.index);
        started();
        await gate;
      },
      { jobCacheMs: 0 },
    );
    const running = handler(task(0, "a"), testContext());
    await startedRunning;
    expect(ran).toEqual([0]);
    await claimTask(store, { taskId: `${jobId}#1`, jobId, index: 1, epoch, owner: "c", leaseSeconds: 30 });
    expect(await cancelJob(store, jobId)).toMatchObject({ outcome: "cancelled" });
    expect(await handler(task(1, "b"), testContext())).toEqual({ taskId: `${jobId}#1`, status: "cancelled" });
    release();
    expect(await running).toMatchObject({ status: "SUCCEEDED" });
    expect(ran).toEqual([0]);
    expect(await countedStatus(store, jobId)).toMatchObject({
      succeeded: 1,
      cancelled: 1,
      done: true,
      state: "cancelled",
    });
  });

  it("never runs more of a job's tasks at once than its maxConcurrency: the others wait for a slot", async () => {
    const { jobId, task } = await jobWith(8, { maxConcurrency: 2 });
    let running = 0;
    let most = 0;
    let started = 0;
    const handler = worker(
      async () => {
        running += 1;
        started += 1;
        most = Math.max(most, running);
        // Hold the slot until a second task runs beside it (or none is left to start), so that reaching
        // the cap does not depend on how fast this machine is; a worker that ran one at a time would fail
        // `most` below after each task's 5 s wait.
        for (let waited = 0; running < 2 && started < 8 && waited < 5_000; waited += 20)
          await new Promise((r) => setTimeout(r, 20));
        running -= 1;
      },
      { slotWaitMs: 30_000 },
    );
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => handler(task(i, i), testContext())),
    );
    expect(most).toBe(2);
    expect(results.map((r) => r.status)).toEqual(Array(8).fill("SUCCEEDED"));
    expect(await countedStatus(store, jobId)).toMatchObject({ succeeded: 8, done: true, state: "succeeded" });
  });

  it("holds the slot the consumer named in the event with one write, reading none of the job's slots", async () => {
    const { jobId, epoch, task } = await jobWith(1, { maxConcurrency: 3 });
    const slotJob = { jobId, epoch, maxConcurrency: 3 };
    // The consumer's take for this dispatch.
    expect(await holdSlot(store, slotJob, 2, `${jobId}#0`, 60, true)).toBe(true);
    let held: string[] = [];
    let slotReads: number | undefined;
    const handler = worker(async () => {
      // The worker's own reads of the slots up to the run (the job record is read by GetItem).
      slotReads = requestCounts()["DynamoDB.BatchGetItem"];
      held = (await readSlots(store, slotJob)).free.map(String);
    });
    expect(await handler({ ...task(0, "a"), slot: 2 }, testContext())).toMatchObject({ status: "SUCCEEDED" });
    // Slot 2 was held during the run (slots 0 and 1 free beside it), and released after.
    expect(held.sort()).toEqual(["0", "1"]);
    expect(slotReads).toBeUndefined();
    expect((await readSlots(store, slotJob)).free.sort()).toEqual([0, 1, 2]);
  });

  it("takes another slot when the one the event names was taken over since, or is not one of the job's", async () => {
    const { jobId, epoch, task } = await jobWith(2, { maxConcurrency: 2 });
    const slotJob = { jobId, epoch, maxConcurrency: 2 };
    // Slot 0's lease ended before the event came, and another task took it.
    expect(await holdSlot(store, slotJob, 0, "another-task", 60, true)).toBe(true);
    const handler = worker(async () => undefined);
    for (const [index, slot] of [
      [0, 0],
      [1, 7],
    ] as const)
      expect(await handler({ ...task(index, "a"), slot }, testContext())).toMatchObject({
        status: "SUCCEEDED",
      });
    // The run took slot 1 each time (and gave it back); slot 0 stays with its holder.
    expect((await readSlots(store, slotJob)).free).toEqual([1]);
  });

  it("fails a capped task with NoSlotError when every slot stays held, so that Lambda retries it", async () => {
    const { jobId, epoch, task } = await jobWith(2, { maxConcurrency: 1 });
    expect(await acquireSlot(store, { jobId, epoch, maxConcurrency: 1 }, "another-task", 60)).toBe(0);
    let runs = 0;
    const handler = worker(
      async () => {
        runs += 1;
      },
      { slotWaitMs: 300 },
    );
    await expect(handler(task(0, "a"), testContext())).rejects.toBeInstanceOf(NoSlotError);
    expect(runs).toBe(0);
    // Not started, nothing recorded: the event's retry (or a redrive of its record) runs it later.
    expect(await readTask(store, `${jobId}#0`)).toBeUndefined();
  });

  it("keeps a capped task's slot for Lambda's retry when a failure is judged final by the event's age, so the retry runs instead of waiting out its last attempt", async () => {
    const { jobId, epoch, task } = await jobWith(2, { maxConcurrency: 1 });
    let calls = 0;
    const handler = worker(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error("flaky");
      },
      // An event age no retry can be inside of: the failure is judged final, yet Lambda has retries left.
      { slotWaitMs: 300, asyncRetries: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 } },
    );
    const sameEvent = () => testContext({ awsRequestId: `event-${jobId}` });
    await expect(handler(task(0, "a"), sameEvent())).rejects.toThrow("flaky");
    expect(await readTask(store, `${jobId}#0`)).toMatchObject({ status: "FAILED", finalFailure: true });
    // On the old code the slot was freed with a final failure, and the job's other task took it.
    await expect(handler(task(1, "b"), testContext())).rejects.toBeInstanceOf(NoSlotError);
    expect(await handler(task(0, "a"), sameEvent())).toMatchObject({ status: "SUCCEEDED" });
    expect((await readSlots(store, { jobId, epoch, maxConcurrency: 1 })).free).toEqual([0]);
  });
});
