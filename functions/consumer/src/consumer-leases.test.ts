import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, encodeTask, makePayloadTask, taskIdOf } from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { readTask, startRun } from "@fanout/dedup";
import { clockedStore } from "@fanout/dedup/testing";
import { createFreshQueue, startLocalResources, waitUntil } from "@fanout/emulators";
import { createLambdaClient } from "@fanout/invoker";
import { acquireSlot, readSlots, recordJob } from "@fanout/job-state";
import { createSqsClient, sendMessages } from "@fanout/queue";
import { receivedMessage } from "@fanout/queue/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsumerHandlerDeps, consumerHandler } from "./consumer-handler.ts";
import { dispatchMessage } from "./dispatch.ts";

/** A worker invoke the Lambda endpoint holds until the test answers it: accepted (202) or throttled (429). */
interface HeldInvoke {
  fn: string;
  payload: string;
  answer(status: 202 | 429): void;
}

let local: Awaited<ReturnType<typeof startLocalResources>>;
let lambda: Server;
const held: HeldInvoke[] = [];
beforeAll(async () => {
  lambda = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      held.push({
        fn: decodeURIComponent(/functions\/([^/]+)\/invocations/.exec(req.url ?? "")?.[1] ?? ""),
        payload: Buffer.concat(chunks).toString(),
        answer(status) {
          if (status === 202) res.writeHead(202, { "x-amzn-RequestId": `r-${held.length}` }).end();
          else
            res
              .writeHead(429, { "x-amzn-ErrorType": "TooManyRequestsException" })
              .end(JSON.stringify({ message: "Rate Exceeded." }));
        },
      });
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
/** A consumer over a fresh queue with its own worker function name (so its invokes are told apart). */
async function setup(prefix: string) {
  n += 1;
  // Messages stay in flight far longer than a test: a held dispatch's message never comes back to a twin.
  const { queueUrl } = await createFreshQueue(local.sqsEndpoint, {
    prefix,
    attributes: { VisibilityTimeout: "600" },
  });
  const store = clockedStore({ endpoint: local.dynamoEndpoint, tableName: local.resources.tableName });
  const worker = `worker-${prefix}-${n}`;
  const deps: ConsumerHandlerDeps = {
    sqs: createSqsClient(),
    lambda: createLambdaClient({ maxAttempts: 1 }),
    store,
    logger: createLogger("consumer-test"),
    tasksQueueUrl: queueUrl,
    workerFunctionName: worker,
    leaseSeconds: 30,
    pollers: 1,
    dispatchConcurrency: 1,
    safetyMarginMs: 500,
    receiveWaitSeconds: 1,
    // A throttled task's copy stays out of the queue for the rest of the test.
    throttleBackoffSeconds: 900,
  };
  const invoke = (i: number) => () => held.filter((h) => h.fn === worker)[i];
  return { deps, store, worker, invoke, jobId: `${prefix}-${n}-${Date.now()}` };
}

describe("consumer leases are per attempt", () => {
  it("lets only one of two deliveries of one scale-out event (same request id, same runSlot) drain when max_parallel is 1", async () => {
    const { deps, invoke, jobId } = await setup("twin-slot");
    await sendMessages(deps.sqs, deps.tasksQueueUrl, [
      { id: "0", body: encodeTask(makePayloadTask(jobId, 0, {}, 0)) },
    ]);
    const handler = consumerHandler({
      ...deps,
      scaleOut: {
        maxParallel: 1,
        backlogPerRun: 10,
        selfFunctionName: `consumer-${jobId}`,
        lambda: createLambdaClient({ maxAttempts: 1 }),
        checkEveryMs: 100,
      },
    });
    // A run started by scale-out names its slot, so only the slot's conditional write keeps its twin out.
    const event = { runSlot: 0 };
    const context = testContext({ awsRequestId: "one-consumer-event", budgetMs: 60_000 });
    const first = handler(event, context);
    // The first delivery holds the run slot while its worker invoke is held.
    const dispatching = await waitUntil("the first delivery dispatches its task", invoke(0), {
      timeoutMs: 60_000,
    });
    const twin = await handler(event, context);
    expect(twin).toMatchObject({ stopped: "no-slot", received: 0 });
    dispatching.answer(202);
    expect(await first).toMatchObject({ runSlot: 0, received: 1, dispatched: 1 });
  });

  it.each([
    ["release", 429],
    ["outdate", 202],
  ] as const)(
    "a duplicate delivery of a consumer event cannot %s the claim its twin holds",
    async (_, status) => {
      const { deps, store, invoke, jobId } = await setup(`twin-claim-${status}`);
      const body = encodeTask(makePayloadTask(jobId, 0, {}, 0));
      const taskId = taskIdOf({ jobId, index: 0 });
      await sendMessages(deps.sqs, deps.tasksQueueUrl, [{ id: "0", body }]);
      const handler = consumerHandler(deps);
      const context = testContext({ awsRequestId: "one-consumer-event", budgetMs: 60_000 });
      const first = handler({}, context);
      const firstInvoke = await waitUntil("the first delivery claims the task and invokes", invoke(0), {
        timeoutMs: 60_000,
      });
      // Its invoke outlasts the claim's lease; a duplicate message of the task reaches the twin delivery
      // (same request id), which takes the dead claim over and invokes in turn.
      store.advance(31_000);
      await sendMessages(deps.sqs, deps.tasksQueueUrl, [{ id: "1", body }]);
      const twin = handler({}, context);
      const twinInvoke = await waitUntil("the twin claims the task and invokes", invoke(1), {
        timeoutMs: 60_000,
      });
      firstInvoke.answer(status);
      await first;
      // The twin's claim stands, and only its event may start the task: the first event's token is outdated.
      const twinToken = (JSON.parse(twinInvoke.payload) as { token?: string }).token;
      const firstToken = (JSON.parse(firstInvoke.payload) as { token?: string }).token;
      expect(twinToken).not.toBe(firstToken);
      expect(await readTask(store, taskId)).toMatchObject({ status: "CLAIMED", token: twinToken });
      twinInvoke.answer(202);
      expect(await twin).toMatchObject({ dispatched: 1 });
      expect(await readTask(store, taskId)).toMatchObject({ status: "CLAIMED", token: twinToken });
    },
  );
});

describe("a failed worker invoke of a capped job's task", () => {
  it("keeps the task's concurrency slot held when a stale worker event started the task meanwhile", async () => {
    const { deps, store, invoke, jobId } = await setup("stale-start");
    const { epoch } = await recordJob(store, {
      jobId,
      contentHash: "h",
      total: 2,
      options: { maxConcurrency: 1 },
    });
    const slotJob = { jobId, epoch, maxConcurrency: 1 };
    const dispatchDeps = { ...deps, owner: "run-1" };
    const task = (index: number) => receivedMessage(encodeTask(makePayloadTask(jobId, index, {}, epoch)));
    const verdict = dispatchMessage(task(0), dispatchDeps);
    const invoking = await waitUntil("the consumer claims task 0, takes its slot and invokes", invoke(0), {
      timeoutMs: 60_000,
    });
    // A worker event without a token (invoked by hand, or by a v0.1.0 consumer during a deploy) starts task 0
    // from CLAIMED, adopting its slot, before Lambda's answer to this invoke comes back as an error. (An event
    // of an earlier claim with a token cannot: its token is not this claim's.)
    const taskId = taskIdOf({ jobId, index: 0 });
    expect(await acquireSlot(store, slotJob, taskId, 60)).toBe(0);
    expect(
      await startRun(store, { taskId, jobId, index: 0, epoch, owner: "stale-event/1" }, 60),
    ).toMatchObject({
      outcome: "started",
    });
    invoking.answer(429);
    expect(await verdict).toMatchObject({ kind: "retried", invoke: "throttled" });
    expect(await readTask(store, taskId)).toMatchObject({ status: "RUNNING" });
    expect((await readSlots(store, slotJob)).free).toEqual([]);
    // So the job's other task is held back rather than dispatched beside the running one.
    expect(await dispatchMessage(task(1), dispatchDeps)).toMatchObject({ kind: "held" });
  });
});
