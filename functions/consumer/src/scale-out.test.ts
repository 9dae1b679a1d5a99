import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, encodeTask, makePayloadTask } from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { createFreshQueue, startLocalResources, waitUntil } from "@fanout/emulators";
import { createLambdaClient } from "@fanout/invoker";
import { createStore, liveRunSlots, takeRunSlot } from "@fanout/job-state";
import { createSqsClient, queueDepth, sendMessages } from "@fanout/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsumerHandlerDeps, consumerHandler } from "./consumer-handler.ts";
import { InvalidRunEventError } from "./scale-out.ts";
import type { DrainSummary } from "./summary.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
/**
 * A Lambda endpoint: worker invokes are accepted and remembered; an invoke of a consumer runs that
 * consumer's handler in this process, as Lambda would run a new instance, after answering 202.
 */
let lambda: Server;
const workerEvents: string[] = [];
const consumers = new Map<string, (event: unknown) => Promise<DrainSummary>>();
const runs: Promise<DrainSummary>[] = [];
let inFlight = 0;
let mostInFlight = 0;
beforeAll(async () => {
  lambda = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const fn = decodeURIComponent(/functions\/([^/]+)\/invocations/.exec(req.url ?? "")?.[1] ?? "");
      const payload = Buffer.concat(chunks).toString();
      res.writeHead(202, { "x-amzn-RequestId": `r-${Math.random()}` });
      res.end();
      const run = consumers.get(fn);
      if (run) runs.push(run(JSON.parse(payload)));
      else workerEvents.push(payload);
    });
  });
  await new Promise<void>((resolve) => lambda.listen(0, "127.0.0.1", resolve));
  local = await startLocalResources();
  Object.assign(process.env, local.env(`http://127.0.0.1:${(lambda.address() as AddressInfo).port}`));
}, 60_000);
afterAll(async () => {
  lambda.close();
  await local.stop();
});

let n = 0;
async function setup(tasks: number, maxParallel: number) {
  n += 1;
  const { queueUrl } = await createFreshQueue(local.sqsEndpoint, { prefix: `scale${n}` });
  const sqs = createSqsClient();
  const jobId = `scale-${n}-${Date.now()}`;
  await sendMessages(
    sqs,
    queueUrl,
    Array.from({ length: tasks }, (_, i) => ({
      id: String(i),
      body: encodeTask(makePayloadTask(jobId, i, { i }, 0)),
    })),
  );
  const self = `consumer-${n}`;
  const store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 });
  const deps: ConsumerHandlerDeps = {
    sqs,
    lambda: createLambdaClient({ maxAttempts: 1 }),
    store,
    logger: createLogger("consumer-test"),
    tasksQueueUrl: queueUrl,
    workerFunctionName: "worker",
    leaseSeconds: 30,
    pollers: 1,
    // Slow enough that one run cannot drain the queue before the others start.
    dispatchConcurrency: 1,
    safetyMarginMs: 500,
    receiveWaitSeconds: 1,
    scaleOut: {
      maxParallel,
      backlogPerRun: 10,
      selfFunctionName: self,
      lambda: createLambdaClient({ maxAttempts: 1 }),
      checkEveryMs: 100,
    },
  };
  const handler = consumerHandler(deps);
  const run = async (event: unknown) => {
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    try {
      return await handler(event, testContext({ budgetMs: 60_000 }));
    } finally {
      inFlight -= 1;
    }
  };
  consumers.set(self, run);
  return { deps, run, self, jobId, store, queueUrl };
}

describe("consumer scale-out", () => {
  it("starts more runs from the backlog up to max_parallel, dispatches every task once, and winds down when the queue drains", async () => {
    const { deps, run, self, jobId, store } = await setup(150, 3);
    const first = await run({ source: "fanout.schedule" });
    await waitUntil("every started run ended", () => inFlight === 0);
    const others = await Promise.all(runs.splice(0));
    expect(others.map((r) => r.runSlot).sort()).toEqual([1, 2]);
    expect(first).toMatchObject({ runSlot: 0, stopped: "empty" });
    expect(first.runsStarted).toBe(2);
    expect(mostInFlight).toBeLessThanOrEqual(3);
    const dispatched = workerEvents.map((e) => JSON.parse(e)).filter((t) => t.jobId === jobId);
    expect(dispatched).toHaveLength(150);
    expect(new Set(dispatched.map((t) => t.index)).size).toBe(150);
    expect((await queueDepth(deps.sqs, deps.tasksQueueUrl)).visible).toBe(0);
    // Every run freed its slot as it ended.
    expect(await liveRunSlots(store, self, 3)).toEqual(new Set());
  });

  it("does not drain when every run slot is held by a live run, and takes a slot whose run died once its lease ends", async () => {
    const { deps, run, self, store } = await setup(5, 2);
    expect(await takeRunSlot(store, self, 0, "live-run", 600_000)).toBe(true);
    expect(await takeRunSlot(store, self, 1, "dead-run", 1)).toBe(true);
    await waitUntil("the dead run's lease ended", async () => !(await liveRunSlots(store, self, 2)).has(1));
    const second = await run({});
    expect(second).toMatchObject({ runSlot: 1, dispatched: 5 });
    await sendMessages(deps.sqs, deps.tasksQueueUrl, [
      { id: "x", body: encodeTask(makePayloadTask("scale-more", 0, {}, 0)) },
    ]);
    expect(await takeRunSlot(store, self, 1, "live-run-2", 600_000)).toBe(true);
    const refused = await run({});
    expect(refused).toMatchObject({ stopped: "no-slot", received: 0 });
    expect(await run({ runSlot: 0 })).toMatchObject({ stopped: "no-slot", received: 0 });
    expect((await queueDepth(deps.sqs, deps.tasksQueueUrl)).visible).toBe(1);
  });

  it("refuses an event with a malformed or out-of-range runSlot, naming it", async () => {
    const { run } = await setup(0, 2);
    await expect(run({ runSlot: "one" })).rejects.toBeInstanceOf(InvalidRunEventError);
    await expect(run({ runSlot: 2 })).rejects.toThrow("runSlot 2 is not below max_parallel (2)");
  });
});
