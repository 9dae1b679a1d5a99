import { randomUUID } from "node:crypto";
import { makeTask, taskIdOf } from "@fanout/core";
import { readTask } from "@fanout/dedup";
import { readJobStatus, recordJob } from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../src/testing.ts";

/** Worker guarantees (G3, G1 failure recording) through the Lambda Invoke API and the built worker zip. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(() => stack?.stop());

const epochs = new Map<string, number>();
async function newJob(total: number) {
  const jobId = `w-${randomUUID().slice(0, 8)}`;
  epochs.set(jobId, (await recordJob(stack.store, { jobId, contentHash: "h", total })).epoch);
  return jobId;
}
/** A task as main makes it: with its job's incarnation. */
const task = (jobId: string, index: number, name: string) => makeTask(jobId, index, name, epochs.get(jobId));

describe("worker", () => {
  it("does not run a task again for a duplicate event after it succeeded, and keeps counters exact", async () => {
    const jobId = await newJob(2);
    const event = task(jobId, 0, "Name1");
    const first = await stack.invoke(stack.names.workerFunction, event);
    expect(first.payload).toMatchObject({ status: "SUCCEEDED" });
    for (let i = 0; i < 3; i++) {
      expect((await stack.invoke(stack.names.workerFunction, event)).payload).toMatchObject({
        status: "duplicate",
      });
    }
    expect(stack.workerRuns().filter((r) => r.taskId === taskIdOf(event))).toHaveLength(1);
    // Counted from the table's stream: once the stack has settled.
    await stack.lambda.idle();
    expect(await readJobStatus(stack.store, jobId)).toMatchObject({
      total: 2,
      succeeded: 1,
      failed: 0,
      pending: 1,
    });
  });

  it("rethrows a task failure as a function error and records it on the task", async () => {
    stack.setWorkerEnvironment({ WORKER_FAIL_RATE: "1" });
    try {
      const jobId = await newJob(1);
      const event = task(jobId, 0, "doomed");
      const result = await stack.invoke(stack.names.workerFunction, event);
      expect(result.functionError).toBe("Unhandled");
      expect(result.payload).toMatchObject({
        errorType: "Error",
        errorMessage: expect.stringMatching(/simulated failure/),
      });
      const record = await readTask(stack.store, taskIdOf(event));
      expect(record).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(record?.lastError).toMatch(/simulated failure/);
      await stack.lambda.idle();
      expect(await readJobStatus(stack.store, jobId)).toMatchObject({ failed: 1, done: true });
    } finally {
      stack.setWorkerEnvironment({});
    }
  });

  it("refuses a malformed event with a clear error", async () => {
    const result = await stack.invoke(stack.names.workerFunction, { name: "seed-style event" });
    expect(result.functionError).toBe("Unhandled");
    expect(result.payload).toMatchObject({
      errorType: "ValidationError",
      errorMessage: expect.stringMatching(/invalid worker event/),
    });
  });
});
