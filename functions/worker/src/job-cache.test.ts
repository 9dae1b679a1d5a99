import { randomUUID } from "node:crypto";
import { startLocalResources } from "@fanout/emulators";
import { cancelJob, createStore, type DedupStore, recordJob } from "@fanout/job-state";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { jobCache } from "./job-cache.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: DedupStore;
/** Job record reads the store made (GetItem on JOB#...). */
let reads = 0;
beforeAll(async () => {
  local = await startLocalResources();
  Object.assign(process.env, local.env());
  store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 });
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "GetItemCommand") reads += 1;
      return next(args);
    },
    { step: "initialize" },
  );
});
afterAll(() => local.stop());
afterEach(() => vi.useRealTimers());

async function newJob() {
  const jobId = `cache-${randomUUID()}`;
  const { epoch } = await recordJob(store, { jobId, contentHash: "h", total: 2 });
  return { jobId, epoch };
}

describe("the worker's job record cache", () => {
  it("reads a job once per period, and sees a cancel once the period since its read has passed", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { jobId, epoch } = await newJob();
    const jobOf = jobCache(store, 5_000);
    const before = reads;
    expect((await jobOf(jobId, epoch))?.cancelledAt).toBeUndefined();
    await cancelJob(store, jobId);
    vi.advanceTimersByTime(4_999);
    // Within the period: the record read before the cancel (a task dispatched now may still start).
    expect((await jobOf(jobId, epoch))?.cancelledAt).toBeUndefined();
    expect(reads - before).toBe(1);
    vi.advanceTimersByTime(1);
    expect((await jobOf(jobId, epoch))?.cancelledAt).toBeDefined();
    expect(reads - before).toBe(2);
  });

  it("reads again for an event of another incarnation than the record it holds, and for an unknown job", async () => {
    const { jobId, epoch } = await newJob();
    const jobOf = jobCache(store, 60_000);
    const before = reads;
    await jobOf(jobId, epoch);
    expect(await jobOf(jobId, epoch + 1)).toMatchObject({ epoch });
    expect(await jobOf(`missing-${jobId}`, 1)).toBeUndefined();
    expect(await jobOf(`missing-${jobId}`, 1)).toBeUndefined();
    expect(reads - before).toBe(4);
  });

  it("keeps the latest jobs only", async () => {
    const jobs = await Promise.all([newJob(), newJob(), newJob()]);
    const jobOf = jobCache(store, 60_000, 2);
    for (const j of jobs) await jobOf(j.jobId, j.epoch);
    const before = reads;
    await jobOf(jobs[2]?.jobId ?? "", jobs[2]?.epoch ?? 0);
    await jobOf(jobs[0]?.jobId ?? "", jobs[0]?.epoch ?? 0);
    expect(reads - before).toBe(1);
  });
});
