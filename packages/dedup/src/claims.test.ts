import { randomUUID } from "node:crypto";
import { startLocalResources } from "@fanout/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimTask, releaseClaim } from "./claims.ts";
import { finishRun, startRun } from "./runs.ts";
import { readTask } from "./tasks.ts";
import { clockedStore, markDispatchedAsV010 } from "./testing.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: ReturnType<typeof clockedStore>;
beforeAll(async () => {
  local = await startLocalResources();
  store = clockedStore({ endpoint: local.dynamoEndpoint, tableName: local.resources.tableName });
});
afterAll(() => local.stop());

const claimOf = (taskId: string, owner: string) => ({
  taskId,
  jobId: "j",
  index: 0,
  owner,
  leaseSeconds: 30,
});

describe("claimTask", () => {
  it("lets exactly one of 64 concurrent claimants win", async () => {
    const taskId = `j#${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => claimTask(store, claimOf(taskId, `c${i}`))),
    );
    expect(results.filter((r) => r.outcome === "claimed")).toHaveLength(1);
    expect(results.filter((r) => r.outcome === "busy")).toHaveLength(63);
  });

  it("refuses a second claim while the lease lives, and grants it once the lease expired (consumer died)", async () => {
    const taskId = `j#${randomUUID()}`;
    expect((await claimTask(store, claimOf(taskId, "a"))).outcome).toBe("claimed");
    expect((await claimTask(store, claimOf(taskId, "b"))).outcome).toBe("busy");
    store.advance(31_000);
    expect((await claimTask(store, claimOf(taskId, "b"))).outcome).toBe("claimed");
    // The dead consumer's release must not take the task back.
    expect(await releaseClaim(store, taskId, "a")).toBe(false);
  });

  it("claims again under a new token once a dispatched claim's lease ended unstarted, and only the newest event starts the task", async () => {
    const taskId = `j#${randomUUID()}`;
    const first = await claimTask(store, claimOf(taskId, "a"));
    if (first.outcome !== "claimed") throw new Error(first.outcome);
    // Dispatched, message not deleted (its consumer died): the redelivery waits for the claim's lease.
    expect(await claimTask(store, claimOf(taskId, "b"))).toMatchObject({ outcome: "busy" });
    store.advance(31_000);
    const second = await claimTask(store, claimOf(taskId, "b"));
    if (second.outcome !== "claimed") throw new Error(second.outcome);
    expect(second.token).not.toBe(first.token);
    expect((await readTask(store, taskId))?.token).toBe(second.token);
    const run = (owner: string, token: string) => ({ taskId, jobId: "j", index: 0, owner, token });
    // Lambda delivers the first event late: it never starts the task, before or after the newer run.
    expect(await startRun(store, run("late", first.token), 60)).toEqual({ outcome: "stale" });
    expect(await startRun(store, run("w", second.token), 60)).toMatchObject({ outcome: "started" });
    await finishRun(store, run("w", second.token), {
      status: "FAILED",
      error: { type: "E", message: "x" },
      final: false,
    });
    expect(await startRun(store, run("late2", first.token), 60)).toEqual({ outcome: "stale" });
    // Lambda's retry of the newest event does.
    expect(await startRun(store, run("retry", second.token), 60)).toMatchObject({ outcome: "started" });
  });

  it("answers busy, not stale, to a claim's event when a run without a token took the task, so Lambda retries the event", async () => {
    const taskId = `j#${randomUUID()}`;
    const claim = await claimTask(store, claimOf(taskId, "a"));
    if (claim.outcome !== "claimed") throw new Error(claim.outcome);
    // Invoked by hand (synchronously, no token): its failure has no retry of Lambda's behind it.
    const byHand = { taskId, jobId: "j", index: 0, owner: "by-hand" };
    expect(await startRun(store, byHand, 60)).toMatchObject({ outcome: "started" });
    const event = { taskId, jobId: "j", index: 0, owner: "w", token: claim.token };
    expect(await startRun(store, event, 60)).toMatchObject({ outcome: "busy" });
    await finishRun(store, byHand, { status: "FAILED", error: { type: "E", message: "x" }, final: false });
    // On the old code "stale": the event ended as a duplicate and nothing ever ran the task again.
    expect(await startRun(store, event, 60)).toMatchObject({ outcome: "busy" });
  });

  it("keeps a redelivered message waiting while its claim's event runs the task, then drops it as a duplicate", async () => {
    const taskId = `j#${randomUUID()}`;
    const claim = await claimTask(store, claimOf(taskId, "a"));
    if (claim.outcome !== "claimed") throw new Error(claim.outcome);
    const run = { taskId, jobId: "j", index: 0, owner: "w", token: claim.token };
    expect(await startRun(store, run, 60)).toMatchObject({ outcome: "started" });
    store.advance(31_000);
    expect(await claimTask(store, claimOf(taskId, "b"))).toMatchObject({ outcome: "busy" });
    await finishRun(store, run, { status: "SUCCEEDED" });
    expect(await claimTask(store, claimOf(taskId, "b"))).toEqual({
      outcome: "duplicate",
      status: "SUCCEEDED",
    });
  });

  it("never claims a task of the job's current incarnation again once its record's expiry passed (a job that outlived its TTL)", async () => {
    const taskId = `j#${randomUUID()}`;
    const claim = { ...claimOf(taskId, "a"), epoch: 7 };
    const claimed = await claimTask(store, claim);
    if (claimed.outcome !== "claimed") throw new Error(claimed.outcome);
    const run = { taskId, jobId: "j", index: 0, owner: "w", epoch: 7, token: claimed.token };
    await startRun(store, run, 60);
    await finishRun(store, run, { status: "SUCCEEDED" });
    // Past the task record's expiresAt (claim time + the store's TTL), before DynamoDB's TTL removes it: a
    // resubmission of the still-live job re-sends the task. On the old code the claim took it and it ran again.
    store.advance((store.ttlSeconds + 60) * 1000);
    expect(await claimTask(store, { ...claimOf(taskId, "b"), epoch: 7 })).toEqual({
      outcome: "duplicate",
      status: "SUCCEEDED",
    });
  });

  it("treats a task DISPATCHED by v0.1.0 as a duplicate forever, even after any lease would have expired", async () => {
    const taskId = `j#${randomUUID()}`;
    await claimTask(store, claimOf(taskId, "a"));
    expect(await markDispatchedAsV010(store, taskId, "a")).toBe(true);
    store.advance(3_600_000);
    expect(await claimTask(store, claimOf(taskId, "b"))).toEqual({
      outcome: "duplicate",
      status: "DISPATCHED",
    });
  });

  it("keeps the message of a running task until the run ends, and claims it back once the run's lease ended with no outcome", async () => {
    const taskId = `j#${randomUUID()}`;
    const claimed = await claimTask(store, claimOf(taskId, "a"));
    if (claimed.outcome !== "claimed") throw new Error(claimed.outcome);
    const run = { taskId, jobId: "j", index: 0, owner: "worker-that-dies", token: claimed.token };
    expect((await startRun(store, run, 60)).outcome).toBe("started");
    expect(await claimTask(store, claimOf(taskId, "b"))).toMatchObject({ outcome: "busy" });
    store.advance(61_000);
    expect(await claimTask(store, claimOf(taskId, "c"))).toMatchObject({ outcome: "claimed" });
    // The dead run's late outcome is refused: the task is the new claim's now.
    expect(await finishRun(store, run, { status: "SUCCEEDED" })).toEqual({ recorded: false });
  });

  it("releases only the owner's own claim, making the task claimable at once", async () => {
    const taskId = `j#${randomUUID()}`;
    await claimTask(store, claimOf(taskId, "a"));
    expect(await releaseClaim(store, taskId, "b")).toBe(false);
    expect(await releaseClaim(store, taskId, "a")).toBe(true);
    expect((await readTask(store, taskId))?.status).toBe("REQUEUED");
    // The message owns the task now: a stale worker event does not start it, the message's claim does.
    expect((await startRun(store, { taskId, jobId: "j", index: 0, owner: "stale" }, 60)).outcome).toBe(
      "requeued",
    );
    expect((await claimTask(store, claimOf(taskId, "b"))).outcome).toBe("claimed");
  });

  it("treats a record of an older incarnation of a reused jobId as absent, however recent", async () => {
    const taskId = `j#${randomUUID()}`;
    await claimTask(store, { ...claimOf(taskId, "a"), epoch: 1 });
    store.advance(1_000);
    expect((await claimTask(store, { ...claimOf(taskId, "b"), epoch: 2 })).outcome).toBe("claimed");
  });
});
