import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, encodeTask, makeTask } from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { createStore } from "@fanout/dedup";
import { createFreshQueue, startLocalResources } from "@fanout/emulators";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient, queueDepth, sendMessages } from "@fanout/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drain } from "./drain.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let throttling: Server;
beforeAll(async () => {
  local = await startLocalResources();
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
  await local.stop();
});

describe("drain", () => {
  it("never lets a valid task reach the dead-letter queue while its invoke is throttled: it goes back as a fresh message", async () => {
    // One receive allowed: on the old code the second receive of a throttled task moved it to the DLQ.
    const { queueUrl, deadLetterQueueUrl } = await createFreshQueue(local.sqsEndpoint, {
      prefix: "throttled",
      maxReceiveCount: 1,
    });
    const sqs = createSqsClient();
    await sendMessages(sqs, queueUrl, [{ id: "0", body: encodeTask(makeTask(`t-${Date.now()}`, 0, "x")) }]);
    const deps = {
      sqs,
      lambda: createLambdaClient({ maxAttempts: 1 }),
      store: createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400 }),
      logger: createLogger("consumer-test"),
      tasksQueueUrl: queueUrl,
      workerFunctionName: "worker",
      leaseSeconds: 5,
      owner: "",
      pollers: 1,
      dispatchConcurrency: 1,
      safetyMarginMs: 500,
      receiveWaitSeconds: 3,
      throttleBackoffSeconds: 1,
    };
    const depth = async (url: string) => {
      const d = await queueDepth(sqs, url);
      return d.visible + d.inFlight + d.delayed;
    };
    // One run long enough to receive the task several times (each copy comes back after 1 s).
    const summary = await drain({ ...deps, owner: "run-1" }, testContext({ budgetMs: 6_000 }));
    expect(summary.received).toBeGreaterThanOrEqual(3);
    expect(summary).toMatchObject({ retried: summary.received, recycled: summary.received, dispatched: 0 });
    expect(await depth(deadLetterQueueUrl ?? "")).toBe(0);
    expect(await depth(queueUrl)).toBe(1);
    sqs.destroy();
  }, 120_000);
});
