import { createLogger, makeTask, taskIdOf, testContext } from "@fanout/core";
import { createStore, readJobStatus, readTask, recordJob, startRun } from "@fanout/dedup";
import { startLocalResources } from "@fanout/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorker, TaskBusyError, type TaskHandler } from "./wrapper.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: ReturnType<typeof createStore>;
beforeAll(async () => {
  local = await startLocalResources();
  Object.assign(process.env, local.env());
  store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 });
});
afterAll(() => local.stop());

let jobs = 0;
async function job(total: number) {
  const jobId = `w-${++jobs}-${Date.now()}`;
  await recordJob(store, { jobId, contentHash: "h", total });
  return jobId;
}

function worker(handler: TaskHandler) {
  return makeWorker(handler, { store, logger: createLogger("worker-test"), leaseSeconds: 60 });
}

describe("worker wrapper", () => {
  it("does not run a task again on a duplicate event after it succeeded, and keeps counters exact", async () => {
    const jobId = await job(2);
    const runs: string[] = [];
    const handler = worker(async (task) => void runs.push(task.name));
    const event = makeTask(jobId, 0, "Name1");
    expect(await handler(event, testContext())).toMatchObject({ status: "SUCCEEDED" });
    expect(await handler(structuredClone(event), testContext())).toMatchObject({ status: "duplicate" });
    expect(await handler(structuredClone(event), testContext())).toMatchObject({ status: "duplicate" });
    expect(runs).toEqual(["Name1"]);
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 1, failed: 0, pending: 1 });
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
    let clock = Date.now();
    const clocked = createStore({
      tableName: local.resources.tableName,
      ttlSeconds: 86_400,
      now: () => clock,
    });
    // The attempt that died: it took the lease and never recorded an outcome.
    expect(
      (await startRun(clocked, { taskId: `${jobId}#0`, jobId, index: 0, owner: "dead" }, 60)).outcome,
    ).toBe("started");
    const runs: string[] = [];
    const handler = makeWorker(async (task) => void runs.push(task.name), {
      store: clocked,
      logger: createLogger("worker-test"),
      leaseSeconds: 60,
    });
    // Lambda's first retry, 1 minute later in AWS; here while the lease still lives. Returning normally
    // would end Lambda's retries with the task stuck RUNNING.
    await expect(handler(makeTask(jobId, 0, "x"), testContext())).rejects.toBeInstanceOf(TaskBusyError);
    expect(runs).toEqual([]);
    clock += 61_000;
    expect(await handler(makeTask(jobId, 0, "x"), testContext())).toMatchObject({ status: "SUCCEEDED" });
    expect(runs).toEqual(["x"]);
    expect(await readTask(clocked, `${jobId}#0`)).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    expect(await readJobStatus(clocked, jobId)).toMatchObject({ succeeded: 1, done: true });
  });

  it("runs at once on Lambda's retry of an attempt that died RUNNING, which carries the same request id", async () => {
    const jobId = await job(1);
    const requestId = "req-crashed";
    await startRun(store, { taskId: `${jobId}#0`, jobId, index: 0, owner: requestId }, 60);
    const runs: string[] = [];
    const handler = worker(async (task) => void runs.push(task.name));
    await expect(handler(makeTask(jobId, 0, "x"), testContext())).rejects.toBeInstanceOf(TaskBusyError);
    expect(await handler(makeTask(jobId, 0, "x"), testContext({ awsRequestId: requestId }))).toMatchObject({
      status: "SUCCEEDED",
    });
    expect(runs).toEqual(["x"]);
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
    expect(await readJobStatus(store, jobId)).toMatchObject({ failed: 1, done: true });
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
    expect(await readJobStatus(store, jobId)).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it("records FAILED before the function's timeout instead of dying unrecorded", async () => {
    const jobId = await job(1);
    const handler = worker(() => new Promise(() => {}));
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
