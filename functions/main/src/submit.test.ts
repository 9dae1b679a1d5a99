import { randomUUID } from "node:crypto";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { createLogger, InvalidJobError, JobConflictError, parseTask } from "@fanout/core";
import { hostileNames } from "@fanout/core/testing";
import { startLocalResources } from "@fanout/emulators";
import { cancelJob, createStore, readJobStatus } from "@fanout/job-state";
import { createSqsClient, queueDepth, receiveMessages } from "@fanout/queue";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SubmitDeps } from "./deps.ts";
import { EnqueueError } from "./errors.ts";
import { submitJob } from "./submit.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let deps: SubmitDeps;
beforeAll(async () => {
  local = await startLocalResources();
  Object.assign(process.env, local.env());
  deps = {
    sqs: createSqsClient(),
    store: createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 }),
    tasksQueueUrl: local.resources.tasksQueueUrl,
    logger: createLogger("main-test"),
    maxTasks: 100,
  };
});
afterAll(() => local.stop());
beforeEach(async () => {
  // Each test starts from an empty queue.
  for (;;) {
    const got = await receiveMessages(deps.sqs, deps.tasksQueueUrl, {
      waitSeconds: 0,
      visibilityTimeoutSeconds: 600,
    });
    if (got.length === 0) break;
  }
});

async function queued(): Promise<number> {
  return (await queueDepth(deps.sqs, deps.tasksQueueUrl)).visible;
}

describe("submitJob", () => {
  it("enqueues one task per name, in order, with hostile names intact", async () => {
    const names = hostileNames();
    const result = await submitJob({ names: names.map((name) => ({ name })) }, deps);
    expect(result).toMatchObject({ tasks: names.length, created: true });
    expect(await queued()).toBe(names.length);
    const tasks = [];
    for (;;) {
      const got = await receiveMessages(deps.sqs, deps.tasksQueueUrl, {
        waitSeconds: 0,
        visibilityTimeoutSeconds: 600,
      });
      if (got.length === 0) break;
      tasks.push(...got.map((m) => parseTask(m.body)));
    }
    expect(tasks.sort((a, b) => a.index - b.index).map((t) => (t.v === 1 ? t.name : undefined))).toEqual(
      names,
    );
    expect(new Set(tasks.map((t) => t.jobId))).toEqual(new Set([result.jobId]));
    expect(await readJobStatus(deps.store, result.jobId)).toMatchObject({
      total: names.length,
      pending: names.length,
    });
  });

  it.each([
    ["not JSON", "{names:"],
    ["names missing", {}],
    ["names not a list", { names: { name: "a" } }],
    ["an empty list", { names: [] }],
    ["an entry without name", { names: [{ name: "ok" }, { nom: "x" }] }],
    ["a non-string name", { names: [{ name: 1 }] }],
    ["an empty name", { names: [{ name: "" }] }],
    ["an over-size name", { names: [{ name: "x".repeat(262_145) }] }],
    ["too many names", { names: Array.from({ length: 101 }, (_, i) => ({ name: `n${i}` })) }],
    ["an empty tasks list", { tasks: [] }],
    ["too many tasks", { tasks: Array.from({ length: 101 }, (_, i) => i) }],
    ["a bad maxConcurrency", { tasks: [1], maxConcurrency: 0 }],
    ["a bad toleratedFailurePercentage", { tasks: [1], toleratedFailurePercentage: 150 }],
    ["both names and tasks", { names: [{ name: "a" }], tasks: [1] }],
  ])("rejects a job with %s and enqueues nothing", async (_what, job) => {
    const before = await queued();
    await expect(submitJob(job, deps)).rejects.toBeInstanceOf(InvalidJobError);
    expect(await queued()).toBe(before);
  });

  it("enqueues any JSON task as a v2 message and records the job's options", async () => {
    const tasks = [{ url: "https://example.com/a", n: 1 }, "two", 3, null, [true]];
    const result = await submitJob(
      { jobId: `any-${Date.now()}`, tasks, maxConcurrency: 2, toleratedFailureCount: 1 },
      deps,
    );
    expect(result).toMatchObject({ tasks: 5, created: true });
    const got = [];
    for (;;) {
      const batch = await receiveMessages(deps.sqs, deps.tasksQueueUrl, {
        waitSeconds: 0,
        visibilityTimeoutSeconds: 600,
      });
      if (batch.length === 0) break;
      got.push(...batch.map((m) => parseTask(m.body)));
    }
    expect(got.sort((a, b) => a.index - b.index).map((t) => (t.v === 2 ? t.payload : "v1"))).toEqual(tasks);
    expect(await readJobStatus(deps.store, result.jobId)).toMatchObject({
      total: 5,
      options: { maxConcurrency: 2, toleratedFailureCount: 1 },
      state: "running",
    });
  });

  it("names every bad entry by index when several are bad", async () => {
    const error = await submitJob({ names: [{ name: "a" }, { name: 2 }, {}, { name: "" }] }, deps).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InvalidJobError);
    expect((error as InvalidJobError).issues.map((i) => i.index)).toEqual([1, 2, 3]);
    expect((error as Error).message).toMatch(/names\[1\]\.name.*names\[2\]\.name.*names\[3\]\.name/);
  });

  it("accepts the same job again and refuses the same jobId with other content", async () => {
    const job = { jobId: "resubmit-1", names: [{ name: "a" }, { name: "b" }] };
    expect((await submitJob(job, deps)).created).toBe(true);
    expect(await submitJob(job, deps)).toMatchObject({ jobId: "resubmit-1", tasks: 2, created: false });
    const before = await queued();
    await expect(submitJob({ ...job, names: [{ name: "c" }] }, deps)).rejects.toBeInstanceOf(
      JobConflictError,
    );
    // The same tasks with other options are other content too.
    await expect(submitJob({ ...job, maxConcurrency: 1 }, deps)).rejects.toBeInstanceOf(JobConflictError);
    expect(await queued()).toBe(before);
  });

  it("takes the same document again as the same job while it runs past its record's TTL, and cancel finds it", async () => {
    // A short TTL and a clock moved past it: the job (capped, held back, say) has not finished.
    let offset = 0;
    const store = createStore({
      tableName: local.resources.tableName,
      ttlSeconds: 60,
      now: () => Date.now() + offset,
    });
    const job = { jobId: `ttl-${randomUUID()}`, tasks: [1, 2], maxConcurrency: 1 };
    expect(await submitJob(job, { ...deps, store })).toMatchObject({ created: true });
    const { epoch } = await readJobStatus(store, job.jobId);
    offset += 120_000;
    expect(await submitJob(job, { ...deps, store })).toMatchObject({ tasks: 2, created: false });
    expect(await readJobStatus(store, job.jobId)).toMatchObject({ epoch, pending: 2, state: "running" });
    expect(await cancelJob(store, job.jobId)).toMatchObject({ outcome: "cancelled", job: { epoch } });
  });

  it("enqueues nothing for a resubmission of a job that has finished (its tasks would meet expired records)", async () => {
    const job = { jobId: `done-${randomUUID()}`, names: [{ name: "a" }, { name: "b" }] };
    expect(await submitJob(job, deps)).toMatchObject({ created: true, tasks: 2 });
    // The job as its finishing write leaves it (the record's finishedAt; its tasks' records may expire first).
    await deps.store.client.send(
      new UpdateItemCommand({
        TableName: local.resources.tableName,
        Key: { pk: { S: `JOB#${job.jobId}` } },
        UpdateExpression: "SET finishedAt = :now",
        ExpressionAttributeValues: { ":now": { N: String(Date.now()) } },
      }),
    );
    const before = await queued();
    expect(await submitJob(job, deps)).toEqual({
      jobId: job.jobId,
      tasks: 0,
      created: false,
      finished: true,
    });
    expect(await queued()).toBe(before);
  });

  it("fails with EnqueueError carrying the SQS error as its cause when the queue cannot take the tasks", async () => {
    const missingQueue = `${deps.tasksQueueUrl}-missing`;
    const error = await submitJob({ names: [{ name: "a" }] }, { ...deps, tasksQueueUrl: missingQueue }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnqueueError);
    expect((error as EnqueueError).failed).toBe(1);
    expect((error as EnqueueError).cause).toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });
});
