import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { InvocationRecord } from "../src/destinations.ts";
import {
  fixtureSpec,
  invoke,
  startTestService,
  stopTestService,
  type TestService,
  waitUntil,
} from "./helpers.ts";

let sqsServer: FauxqsServer;
let sqs: SQSClient;
let service: TestService | undefined;

beforeAll(async () => {
  sqsServer = await startFauxqs({ port: 0, logger: false });
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${sqsServer.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

afterEach(async () => {
  await stopTestService(service);
  service = undefined;
});

afterAll(async () => {
  sqs.destroy();
  await sqsServer.stop();
});

/** Receives every message currently on the queue (deleting them), parsed as invocation records. */
async function drain(queueUrl: string): Promise<InvocationRecord[]> {
  const records: InvocationRecord[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return records;
    for (const message of messages) {
      records.push(JSON.parse(message.Body ?? "null") as InvocationRecord);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

function attemptsOf(svc: TestService, requestId: string | undefined): number {
  return svc.output.filter((line) => line.includes(`START RequestId: ${requestId} `)).length;
}

describe("asynchronous invocation", () => {
  it("retries a failing event maximumRetryAttempts times, then sends Lambda's invocation record to the on-failure queue", async () => {
    const { queueUrl } = sqsServer.createQueue("failures-retry");
    service = await startTestService(
      [
        fixtureSpec("failing", "behaviours", {
          async: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, onFailureQueueUrl: queueUrl },
        }),
      ],
      { speed: 0.001 },
    );
    const out = await invoke(
      service.client,
      "failing",
      { action: "throw", message: "always" },
      { InvocationType: "Event" },
    );
    expect(out.StatusCode).toBe(202);
    await service.lambda.idle();

    const requestId = out.$metadata.requestId;
    expect(attemptsOf(service, requestId)).toBe(3);
    const records = await drain(queueUrl);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({
      version: "1.0",
      requestContext: {
        requestId,
        functionArn: "arn:aws:lambda:us-east-1:000000000000:function:failing:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { action: "throw", message: "always" },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Error", errorMessage: "always" },
    });
    expect(Date.parse(record?.timestamp ?? "")).not.toBeNaN();
    expect(service.lambda.stats().failing?.async).toMatchObject({
      enqueued: 1,
      retried: 2,
      discarded: 1,
      deliveredToDestination: 1,
      depth: 0,
    });
  });

  it("waits about 1 then 2 minutes (times speed) between attempts", async () => {
    service = await startTestService(
      [
        fixtureSpec("spaced", "behaviours", {
          async: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
        }),
      ],
      { speed: 0.005 },
    );
    const starts: number[] = [];
    service.lambda.events.on("invocationStart", () => starts.push(Date.now()));
    await invoke(service.client, "spaced", { action: "throw" }, { InvocationType: "Event" });
    await service.lambda.idle();
    expect(starts).toHaveLength(3);
    const [a = 0, b = 0, c = 0] = starts;
    expect(b - a).toBeGreaterThanOrEqual(290);
    expect(c - b).toBeGreaterThanOrEqual(590);
    // Scaled, not Lambda's real 2 min (a generous bound: the scaled wait is 0.6 s).
    expect(c - b).toBeLessThan(15_000);
  });

  it("does not retry when maximumRetryAttempts is 0, and succeeds without a record when the handler succeeds", async () => {
    const { queueUrl } = sqsServer.createQueue("failures-no-retry");
    service = await startTestService(
      [
        fixtureSpec("once", "behaviours", {
          async: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60, onFailureQueueUrl: queueUrl },
        }),
      ],
      { speed: 0.001 },
    );
    const failed = await invoke(service.client, "once", { action: "throw" }, { InvocationType: "Event" });
    await invoke(service.client, "once", { ok: true }, { InvocationType: "Event" });
    await service.lambda.idle();
    expect(attemptsOf(service, failed.$metadata.requestId)).toBe(1);
    const records = await drain(queueUrl);
    expect(records.map((r) => [r.requestContext.condition, r.requestContext.approximateInvokeCount])).toEqual(
      [["RetriesExhausted", 1]],
    );
    expect(service.lambda.stats().once?.async).toMatchObject({ succeeded: 1, discarded: 1 });
  });

  it("keeps throttled events (reserved concurrency 0) until maximumEventAgeSeconds, then records EventAgeExceeded", async () => {
    const { queueUrl } = sqsServer.createQueue("failures-age");
    let skewMs = 0;
    service = await startTestService(
      [
        fixtureSpec("blocked", "behaviours", {
          reservedConcurrency: 0,
          async: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 60, onFailureQueueUrl: queueUrl },
        }),
      ],
      { speed: 0.01, now: () => Date.now() + skewMs },
    );
    const out = await invoke(service.client, "blocked", { n: 1 }, { InvocationType: "Event" });
    expect(out.StatusCode).toBe(202);
    // Throttle back-off is 10, 20, 40 ms at this speed: the event keeps coming back without running.
    const throttled = () => service?.lambda.stats().blocked?.invocations.throttled ?? 0;
    await waitUntil("the event to be throttled twice", () => throttled() > 1);
    expect(service.lambda.stats().blocked?.async).toMatchObject({ depth: 1, discarded: 0 });
    skewMs = 59_000;
    // Looked at again (throttled once more) under the new clock, and still not too old.
    const seen = throttled();
    await waitUntil("the event to be throttled again at 59 s", () => throttled() > seen);
    expect(service.lambda.stats().blocked?.async.discarded).toBe(0);
    skewMs = 61_000;
    await service.lambda.idle();
    const [record] = await drain(queueUrl);
    expect(record?.requestContext).toMatchObject({
      requestId: out.$metadata.requestId,
      condition: "EventAgeExceeded",
      approximateInvokeCount: 0,
    });
    expect(record?.requestPayload).toEqual({ n: 1 });
    expect(record?.responseContext.statusCode).toBe(429);
    expect(service.lambda.stats().blocked?.invocations.started).toBe(0);
  });

  it("does not age out events that only wait for a free instance", async () => {
    service = await startTestService(
      [
        fixtureSpec("busy", "behaviours", {
          reservedConcurrency: 1,
          async: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
        }),
      ],
      { speed: 0.0001 },
    );
    for (let i = 0; i < 4; i += 1) {
      await invoke(service.client, "busy", { action: "sleep", ms: 100 }, { InvocationType: "Event" });
    }
    await service.lambda.idle();
    expect(service.lambda.stats().busy?.async).toMatchObject({ succeeded: 4, discarded: 0 });
  });

  it("runs queued events within the function's concurrency and drains them all", async () => {
    service = await startTestService([fixtureSpec("pool", "behaviours", { reservedConcurrency: 2 })], {
      speed: 0.001,
    });
    let running = 0;
    let peak = 0;
    service.lambda.events.on("invocationStart", () => {
      running += 1;
      peak = Math.max(peak, running);
    });
    service.lambda.events.on("invocationEnd", () => {
      running -= 1;
    });
    for (let i = 0; i < 8; i += 1) {
      await invoke(service.client, "pool", { action: "sleep", ms: 50 }, { InvocationType: "Event" });
    }
    expect(service.lambda.stats().pool?.async.depth).toBeGreaterThan(0);
    await service.lambda.idle();
    expect(peak).toBe(2);
    expect(service.lambda.stats().pool?.async).toMatchObject({
      enqueued: 8,
      succeeded: 8,
      depth: 0,
      running: 0,
    });
    expect(service.lambda.pids("pool").length).toBeLessThanOrEqual(2);
  });

  it("counts a delivery failure when the on-failure queue does not exist", async () => {
    service = await startTestService(
      [
        fixtureSpec("lost", "behaviours", {
          async: {
            maximumRetryAttempts: 0,
            maximumEventAgeSeconds: 60,
            onFailureQueueUrl: `http://127.0.0.1:${sqsServer.port}/000000000000/no-such-queue`,
          },
        }),
      ],
      { speed: 0.001 },
    );
    await invoke(service.client, "lost", { action: "throw" }, { InvocationType: "Event" });
    await service.lambda.idle();
    expect(service.lambda.stats().lost?.async).toMatchObject({
      destinationDeliveryFailures: 1,
      deliveredToDestination: 0,
    });
    expect(service.output.join("")).toContain("Could not deliver invocation record");
  });
});
