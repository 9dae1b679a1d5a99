import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { readJob } from "@fanout/job-state";
import { queueDepth } from "@fanout/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitToMain } from "../src/submit-job.ts";
import { startTestStack, subscribeQueue, type TestStack } from "../src/testing.ts";

/**
 * Issue 10's job features on the whole local stack (the built zips on the local Lambda service, fauxqs for
 * SQS and SNS, dynalite): the one `job.finished` notice a subscriber receives, and a concurrency cap
 * measured from the worker's own log lines.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({}, { maxConcurrency: 32 });
}, 120_000);
afterAll(() => stack?.stop());

/** Polls `check` until it returns a value (not undefined). */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs of the worker's handler as [start, end] (ms) per task, from `worker received task i` to `task succeeded`. */
function runIntervals(jobId: string): [number, number][] {
  const lines = stack.logs(stack.names.workerFunction).filter((l) => l.jobId === jobId);
  const starts = new Map<string, number>();
  const intervals: [number, number][] = [];
  for (const line of lines) {
    const at = Date.parse(String(line.timestamp));
    const taskId = String(line.taskId);
    if (String(line.message).startsWith("worker received task ")) starts.set(taskId, at);
    if (line.message === "task succeeded" && starts.has(taskId))
      intervals.push([starts.get(taskId) ?? at, at]);
  }
  return intervals;
}

/** The most intervals that overlap at one instant. */
function mostAtOnce(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  // At the same instant an end comes before a start: back-to-back runs do not overlap.
  edges.sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0) || (x[1] ?? 0) - (y[1] ?? 0));
  let now = 0;
  let most = 0;
  for (const [, d] of edges) {
    now += d ?? 0;
    most = Math.max(most, now);
  }
  return most;
}

describe("job features on the local stack", () => {
  it("publishes exactly one job.finished notice, with the job's counts, to a subscribed queue", async () => {
    const queueUrl = await subscribeQueue(stack);
    const jobId = `notice-${randomUUID().slice(0, 8)}`;
    await submitToMain(stack, { jobId, tasks: Array.from({ length: 40 }, (_, n) => ({ n })) });
    await stack.waitForJob(jobId);
    // The winner publishes, then marks the job notified: after that nothing publishes it again.
    const job = await until(async () => {
      const record = await readJob(stack.store, jobId);
      return record?.notifiedAt === undefined ? undefined : record;
    }, "the notice to be marked published");
    const bodies: string[] = [];
    while ((await queueDepth(stack.sqs, queueUrl)).visible > 0) {
      const { Messages = [] } = await stack.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      for (const m of Messages) {
        bodies.push(String(m.Body));
        await stack.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
    const notices = bodies.map((b) => JSON.parse(b)).filter((n) => n.jobId === jobId);
    expect(notices).toEqual([
      {
        type: "job.finished",
        jobId,
        epoch: job.epoch,
        state: "succeeded",
        total: 40,
        succeeded: 40,
        failed: 0,
        cancelled: 0,
        createdAt: new Date(job.createdAt).toISOString(),
        finishedAt: new Date(job.finishedAt ?? 0).toISOString(),
      },
    ]);
    expect(await queueDepth(stack.sqs, queueUrl)).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("never runs more of a job's tasks at once than its maxConcurrency, measured with a slow handler", async () => {
    stack.setWorkerEnvironment({ WORKER_DELAY_MS: "300" });
    try {
      const tasks = Array.from({ length: 24 }, (_, n) => ({ n }));
      // The same job without a cap first: the measure sees more than 3 at once, so it can see a breach.
      const free = `uncapped-${randomUUID().slice(0, 8)}`;
      await submitToMain(stack, { jobId: free, tasks });
      await stack.waitForJob(free);
      // The worker logs "task succeeded" after the write that completes the count: wait for the lines.
      const freeRuns = await until(async () => {
        const runs = runIntervals(free);
        return runs.length === 24 ? runs : undefined;
      }, "24 runs in the worker log");
      expect(mostAtOnce(freeRuns)).toBeGreaterThan(3);

      const capped = `capped-${randomUUID().slice(0, 8)}`;
      await submitToMain(stack, { jobId: capped, tasks, maxConcurrency: 3 });
      const status = await stack.waitForJob(capped, 120_000);
      expect(status).toMatchObject({ succeeded: 24, state: expect.any(String) });
      const intervals = await until(async () => {
        const runs = runIntervals(capped);
        return runs.length === 24 ? runs : undefined;
      }, "24 runs in the worker log");
      expect(mostAtOnce(intervals)).toBeLessThanOrEqual(3);
      // Held-back tasks waited in the queue, not in the dead-letter queue.
      expect(await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl)).toMatchObject({ visible: 0 });
    } finally {
      stack.setWorkerEnvironment({});
    }
  });
});
