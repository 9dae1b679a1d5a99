import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { LambdaClient } from "@aws-sdk/client-lambda";
import {
  capacityCounts,
  createLogger,
  encodeTask,
  type FunctionMetrics,
  makePayloadTask,
  makeTask,
  parseWorkerEvent,
  requestCounts,
  resetRequestCounts,
} from "@fanout/core";
import { TaskStream } from "@fanout/dedup/testing";
import { createFreshQueue, startLocalResources } from "@fanout/emulators";
import { createLambdaClient } from "@fanout/invoker";
import {
  acquireSlot,
  cancelJob,
  createStore,
  holdSlot,
  readJob,
  readJobStatus,
  readSlots,
  recordJob,
  releaseSlot,
} from "@fanout/job-state";
import { createSqsClient, queueDepth, sendMessages } from "@fanout/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DrainDeps, drain } from "./drain.ts";
import type { DrainSummary } from "./summary.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
/** The table's stream: the job's counts come from it (the consumer's stream batches). */
const stream = new TaskStream();
let throttling: Server;
/** A Lambda that accepts every invoke (202) and remembers each event. */
let accepting: Server;
const invoked: string[] = [];
beforeAll(async () => {
  accepting = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      invoked.push(Buffer.concat(chunks).toString());
      res.writeHead(202, { "x-amzn-RequestId": `r-${invoked.length}` });
      res.end();
    });
  });
  await new Promise<void>((resolve) => accepting.listen(0, "127.0.0.1", resolve));
  local = await startLocalResources({ onChange: stream.onChange });
  // A Lambda that throttles every invoke.
  throttling = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(429, { "x-amzn-ErrorType": "TooManyRequestsException" });
      res.end(JSON.stringify({ message: "Rate Exceeded." }));
    });
  });
  await new Promise<void>((resolve) => throttling.listen(0, "127.0.0.1", resolve));
  Object.assign(process.env, local.env(`http://127.0.0.1:${(throttling.address() as AddressInfo).port}`));
}, 60_000);
afterAll(async () => {
  throttling.close();
  accepting.close();
  await local.stop();
});

/** A run's verdict counts as it counts them (its metrics), so that a test sees them while the run goes on. */
function countingMetrics() {
  const counts = new Map<string, number>();
  const metrics = {
    count: (name: string, value = 1) => void counts.set(name, (counts.get(name) ?? 0) + value),
    sample: () => undefined,
    flush: () => undefined,
  } as unknown as FunctionMetrics<"consumer">;
  return { metrics, of: (name: string) => counts.get(name) ?? 0 };
}

/**
 * Drains until `done()` holds, bounded by what it waits for rather than by a time budget: a run's time runs
 * out as soon as `done()` holds, and another run starts while it does not (a run also ends on an empty
 * receive, e.g. while the tasks it held back are delayed). `timeoutMs` is only a generous bound.
 */
async function drainUntil(
  deps: DrainDeps,
  what: string,
  done: () => boolean,
  timeoutMs = 90_000,
): Promise<DrainSummary[]> {
  const deadline = Date.now() + timeoutMs;
  const runs: DrainSummary[] = [];
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    const context = { getRemainingTimeInMillis: () => (done() ? 0 : Math.max(0, deadline - Date.now())) };
    runs.push(await drain(deps, context));
  }
  return runs;
}
const sum = (
  runs: DrainSummary[],
  key: "received" | "retried" | "recycled" | "dispatched" | "held" | "cancelled",
) => runs.reduce((n, run) => n + run[key], 0);

describe("drain", () => {
  it("never lets a valid task reach the dead-letter queue while its invoke is throttled: it goes back as a fresh message", async () => {
    // One receive allowed: on the old code the second receive of a throttled task moved it to the DLQ.
    const { queueUrl, deadLetterQueueUrl } = await createFreshQueue(local.sqsEndpoint, {
      prefix: "throttled",
      maxReceiveCount: 1,
    });
    const sqs = createSqsClient();
    await sendMessages(sqs, queueUrl, [{ id: "0", body: encodeTask(makeTask(`t-${Date.now()}`, 0, "x")) }]);
    const counted = countingMetrics();
    const deps: DrainDeps = {
      sqs,
      lambda: createLambdaClient({ maxAttempts: 1 }),
      store: createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 }),
      logger: createLogger("consumer-test"),
      tasksQueueUrl: queueUrl,
      workerFunctionName: "worker",
      leaseSeconds: 5,
      owner: "run-1",
      pollers: 1,
      dispatchConcurrency: 1,
      safetyMarginMs: 500,
      receiveWaitSeconds: 3,
      throttleBackoffSeconds: 1,
      metrics: counted.metrics,
    };
    const depth = async (url: string) => {
      const d = await queueDepth(sqs, url);
      return d.visible + d.inFlight + d.delayed;
    };
    // Until the task was received (and throttled) three times: each copy comes back after 1 s.
    const runs = await drainUntil(
      deps,
      "three throttled receives",
      () => counted.of("InvokesThrottled") >= 3,
    );
    const received = sum(runs, "received");
    expect(received).toBeGreaterThanOrEqual(3);
    expect({
      retried: sum(runs, "retried"),
      recycled: sum(runs, "recycled"),
      dispatched: sum(runs, "dispatched"),
    }).toEqual({
      retried: received,
      recycled: received,
      dispatched: 0,
    });
    expect(await depth(deadLetterQueueUrl ?? "")).toBe(0);
    expect(await depth(queueUrl)).toBe(1);
    sqs.destroy();
  }, 120_000);
});

describe("drain: a failing poller", () => {
  it("ends the run only after every poller stopped, when one poller's receive fails (no poller outlives its run)", async () => {
    const { queueUrl } = await createFreshQueue(local.sqsEndpoint, { prefix: "poller-fault" });
    const sqs = createSqsClient();
    // The second ReceiveMessage fails (an SQS outage, which the emulator cannot produce); the others long-poll.
    let receives = 0;
    let inFlight = 0;
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "ReceiveMessageCommand") return next(args);
        receives += 1;
        if (receives === 2) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        inFlight += 1;
        try {
          return await next(args);
        } finally {
          inFlight -= 1;
        }
      },
      { step: "initialize", name: "failSecondReceive" },
    );
    const deps: DrainDeps = {
      sqs,
      lambda: createLambdaClient({ maxAttempts: 1 }),
      store: createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 }),
      logger: createLogger("consumer-test"),
      tasksQueueUrl: queueUrl,
      workerFunctionName: "worker",
      leaseSeconds: 5,
      owner: "run-poller-fault",
      pollers: 3,
      dispatchConcurrency: 1,
      safetyMarginMs: 500,
      receiveWaitSeconds: 2,
    };
    const until = Date.now() + 120_000;
    await expect(drain(deps, { getRemainingTimeInMillis: () => until - Date.now() })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    // When the run ends, no poller of it is still receiving (on the old code the other two were mid long-poll).
    expect(inFlight).toBe(0);
    sqs.destroy();
  }, 180_000);
});

describe("drain: job features", () => {
  const store = () => createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 });
  /** A run against a fresh queue whose worker Lambda accepts every invoke. */
  async function setup(prefix: string, options: Parameters<typeof recordJob>[1]["options"], total: number) {
    const { queueUrl, deadLetterQueueUrl } = await createFreshQueue(local.sqsEndpoint, {
      prefix,
      maxReceiveCount: 1,
    });
    const sqs = createSqsClient();
    const jobId = `${prefix}-${Date.now()}`;
    const { epoch } = await recordJob(store(), { jobId, contentHash: "h", total, options });
    await sendMessages(
      sqs,
      queueUrl,
      Array.from({ length: total }, (_, i) => ({
        id: String(i),
        body: encodeTask(makePayloadTask(jobId, i, { i }, epoch)),
      })),
    );
    const lambdaEndpoint = `http://127.0.0.1:${(accepting.address() as AddressInfo).port}`;
    const counted = countingMetrics();
    const deps: DrainDeps = {
      sqs,
      lambda: new LambdaClient({
        endpoint: lambdaEndpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
        maxAttempts: 1,
      }),
      store: store(),
      logger: createLogger("consumer-test"),
      tasksQueueUrl: queueUrl,
      workerFunctionName: "worker",
      leaseSeconds: 5,
      owner: "run-1",
      pollers: 1,
      dispatchConcurrency: 4,
      safetyMarginMs: 500,
      receiveWaitSeconds: 1,
      holdSeconds: 1,
      metrics: counted.metrics,
    };
    const depth = async (url: string) => {
      const d = await queueDepth(sqs, url);
      return d.visible + d.inFlight + d.delayed;
    };
    const invokesOf = () => invoked.filter((body) => body.includes(`"jobId":"${jobId}"`)).length;
    return {
      jobId,
      epoch,
      queueUrl,
      deadLetterQueueUrl: deadLetterQueueUrl ?? "",
      sqs,
      deps,
      depth,
      invokesOf,
      counted,
    };
  }

  it("drops the queued tasks of a cancelled job without invoking the worker, and finishes the job once", async () => {
    const { jobId, queueUrl, sqs, deps, depth, invokesOf, counted } = await setup("cancelled", {}, 3);
    expect(await cancelJob(store(), jobId)).toMatchObject({ outcome: "cancelled" });
    const runs = await drainUntil(
      deps,
      "3 cancelled tasks",
      () => counted.of("TasksCancelledUndispatched") >= 3,
    );
    expect({ cancelled: sum(runs, "cancelled"), dispatched: sum(runs, "dispatched") }).toEqual({
      cancelled: 3,
      dispatched: 0,
    });
    expect(invokesOf()).toBe(0);
    expect(await depth(queueUrl)).toBe(0);
    expect(await stream.settle(store(), jobId)).toMatchObject([{ state: "cancelled", cancelled: 3 }]);
    expect(await readJobStatus(store(), jobId)).toMatchObject({
      cancelled: 3,
      done: true,
      state: "cancelled",
    });
    expect((await readJob(store(), jobId))?.finishedAt).toBeGreaterThan(0);
    sqs.destroy();
  }, 120_000);

  it("counts a run's dispatched tasks as running in one write per counter shard, not one per task", async () => {
    // 300 tasks: 3 counter shards, and consecutive tasks fall in different ones (ADR 0014).
    const total = 300;
    const { jobId, sqs, deps, counted } = await setup("inflight", {}, total);
    resetRequestCounts();
    // Counted only at each run's end (the interval is longer than any run): the count is one write per shard.
    const runs = await drainUntil(
      { ...deps, inFlightCountMs: 3_600_000 },
      "every task dispatched",
      () => counted.of("TasksDispatched") >= total,
    );
    // Nothing runs the events (the Lambda only accepts them): every task is in flight.
    expect(await readJobStatus(store(), jobId)).toMatchObject({
      running: total,
      pending: total,
      succeeded: 0,
    });
    // Per run, one write per shard; once per shard, its `announced` mark (its first write announces it).
    const shardWrites = capacityCounts()["shard.write"] ?? 0;
    expect(shardWrites, JSON.stringify({ runs: runs.length, shardWrites })).toBeLessThanOrEqual(
      3 * runs.length + 3,
    );
    expect(shardWrites).toBeGreaterThanOrEqual(6);
    sqs.destroy();
  }, 120_000);

  it("dispatches a capped job's tasks on one read of its slots for several tasks, naming each task's slot in its event", async () => {
    const total = 6;
    const { jobId, epoch, sqs, deps, counted } = await setup("slotview", { maxConcurrency: total }, total);
    resetRequestCounts();
    await drainUntil(deps, "every task dispatched", () => counted.of("TasksDispatched") >= total);
    // On the old code each dispatch read every slot twice (a check, then the take's own read): 12 reads.
    expect(requestCounts()["DynamoDB.BatchGetItem"] ?? 0).toBeLessThanOrEqual(total / 2);
    const events = invoked
      .filter((body) => body.includes(`"jobId":"${jobId}"`))
      .map((b) => parseWorkerEvent(JSON.parse(b)));
    expect(events.map((e) => e.slot).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Each event's slot is held for its own task, so the worker holds it with one write (no read).
    for (const { task, slot } of events)
      expect(
        await holdSlot(
          store(),
          { jobId, epoch, maxConcurrency: total },
          slot ?? -1,
          `${jobId}#${task.index}`,
          60,
        ),
      ).toBe(true);
    expect((await readSlots(store(), { jobId, epoch, maxConcurrency: total })).free).toEqual([]);
    sqs.destroy();
  }, 120_000);

  it("holds back a job at its maxConcurrency in the queue, spending no receive towards the dead-letter queue", async () => {
    const { jobId, epoch, queueUrl, deadLetterQueueUrl, sqs, deps, depth, invokesOf, counted } = await setup(
      "capped",
      { maxConcurrency: 1 },
      2,
    );
    const slotJob = { jobId, epoch, maxConcurrency: 1 };
    // Another task of the job runs: it holds the only slot.
    expect(await acquireSlot(store(), slotJob, "running-task", 60)).toBe(0);
    const held = await drainUntil(deps, "2 tasks held back", () => counted.of("TasksHeldBack") >= 2);
    expect(sum(held, "held")).toBeGreaterThanOrEqual(2);
    expect(sum(held, "dispatched")).toBe(0);
    expect(invokesOf()).toBe(0);
    expect(await depth(deadLetterQueueUrl)).toBe(0);
    expect(await depth(queueUrl)).toBe(2);
    // The slot frees: the next runs dispatch, one task per free slot as they see them (the held-back copies
    // come back after their delay, so a run may end on an empty receive first: drainUntil starts another).
    await releaseSlot(store(), slotJob, 0, "running-task");
    const freed = await drainUntil(
      { ...deps, owner: "run-2" },
      "a dispatch",
      () => counted.of("TasksDispatched") >= 1,
    );
    expect(sum(freed, "dispatched")).toBeGreaterThanOrEqual(1);
    expect(invokesOf()).toBe(sum(freed, "dispatched"));
    expect(await depth(deadLetterQueueUrl)).toBe(0);
    sqs.destroy();
  }, 120_000);
});
