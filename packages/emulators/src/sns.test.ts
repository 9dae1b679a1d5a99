import { randomUUID } from "node:crypto";
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from "@aws-sdk/client-sns";
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { parseSettings } from "@fanout/tooling";
import { buildApp } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRegion, localCredentials } from "./credentials.ts";
import { type RunningEmulators, startEmulators } from "./emulators.ts";
import { fauxqsStores } from "./fauxqs-internals.ts";
import { dedupFifoTopics, fifoTopicDedupWindowMs } from "./fauxqs-sns-dedup.ts";
import { createSubscribedQueue } from "./fresh.ts";
import { createResources, type FanoutResources } from "./resources.ts";
import { rejection, sqsClient } from "./test-clients.ts";

// Conformance: the SNS FIFO behaviour the job.finished notice relies on (ADR 0012), against fauxqs over the
// AWS wire protocol (SNS speaks the Query protocol, on the SQS emulator's port).
let emulators: RunningEmulators;
let sqs: SQSClient;
let sns: SNSClient;
let resources: FanoutResources;

const snsClient = (endpoint: string) =>
  new SNSClient({ endpoint, region: defaultRegion, credentials: localCredentials });

beforeAll(async () => {
  emulators = await startEmulators();
  sqs = sqsClient(emulators.sqsEndpoint);
  sns = snsClient(emulators.snsEndpoint);
  resources = await createResources({
    settings: parseSettings({}),
    sqsEndpoint: emulators.sqsEndpoint,
    dynamoEndpoint: emulators.dynamoEndpoint,
  });
});
afterAll(async () => {
  sqs?.destroy();
  sns?.destroy();
  await emulators?.stop();
});

/**
 * Every message the queue holds now (bodies), received and deleted until an empty answer (a FIFO queue
 * hands out a group's next message only once the one before is deleted).
 */
async function drain(client: SQSClient, QueueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => String(m.Body)));
    for (const m of Messages)
      await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
}

/** A fresh FIFO topic of its own (the jobs topic is shared by the tests below that only read it). */
async function newTopic(client: SNSClient, attributes: Record<string, string> = {}) {
  const { TopicArn } = await client.send(
    new CreateTopicCommand({
      Name: `t-${randomUUID()}.fifo`,
      Attributes: { FifoTopic: "true", ContentBasedDeduplication: "false", ...attributes },
    }),
  );
  if (!TopicArn) throw new Error("no TopicArn");
  return TopicArn;
}

const notice = (TopicArn: string, extra: Partial<PublishCommandInput> = {}) =>
  new PublishCommand({
    TopicArn,
    Message: JSON.stringify({ type: "job.finished", jobId: "j-1" }),
    MessageGroupId: "j-1",
    MessageDeduplicationId: "j-1#1700000000000",
    ...extra,
  });

describe("SNS FIFO conformance (fauxqs + fanout's correction)", () => {
  it("createResources made the FIFO jobs topic, deduplicating by the publisher's id only", async () => {
    expect(resources.jobsTopicArn).toBe("arn:aws:sns:us-east-1:000000000000:fanout-jobs.fifo");
    const { Attributes } = await sns.send(
      new GetTopicAttributesCommand({ TopicArn: resources.jobsTopicArn }),
    );
    expect(Attributes).toMatchObject({
      FifoTopic: "true",
      ContentBasedDeduplication: "false",
      FifoThroughputScope: "Topic",
    });
  });

  it("refuses a FIFO topic name without .fifo, and a publish without a group or a deduplication id", async () => {
    const badName = await rejection(
      sns.send(new CreateTopicCommand({ Name: `t-${randomUUID()}`, Attributes: { FifoTopic: "true" } })),
    );
    expect(badName.name).toBe("InvalidParameterException");
    const topic = await newTopic(sns);
    const noGroup = await rejection(sns.send(notice(topic, { MessageGroupId: undefined })));
    expect(noGroup.message).toMatch(/MessageGroupId/);
    const noId = await rejection(sns.send(notice(topic, { MessageDeduplicationId: undefined })));
    expect(noId.message).toMatch(/ContentBasedDeduplication|MessageDeduplicationId/);
  });

  it("delivers a second publish with the same deduplication id to no subscriber: standard, FIFO, enveloped", async () => {
    const topic = await newTopic(sns);
    const standard = await createSubscribedQueue(emulators.sqsEndpoint, topic);
    const fifo = await createSubscribedQueue(emulators.sqsEndpoint, topic, { fifo: true });
    const enveloped = await createSubscribedQueue(emulators.sqsEndpoint, topic, { raw: false });
    const first = await sns.send(notice(topic));
    const second = await sns.send(notice(topic, { Message: '{"type":"job.finished","again":true}' }));
    // Both accepted, as SNS does; the duplicate is simply not delivered.
    expect(first.MessageId).toBeTruthy();
    expect(second.MessageId).toBeTruthy();
    await sns.send(notice(topic, { MessageDeduplicationId: "j-1#1700000000001", Message: "next" }));
    const body = JSON.stringify({ type: "job.finished", jobId: "j-1" });
    expect(await drain(sqs, standard.queueUrl)).toEqual([body, "next"]);
    expect(await drain(sqs, fifo.queueUrl)).toEqual([body, "next"]);
    const envelopes = (await drain(sqs, enveloped.queueUrl)).map(
      (b) => JSON.parse(b) as { Type: string; Message: string; TopicArn: string },
    );
    expect(envelopes.map((e) => [e.Type, e.TopicArn, e.Message])).toEqual([
      ["Notification", topic, body],
      ["Notification", topic, "next"],
    ]);
  });

  it("two concurrent publishes with the same id deliver once", async () => {
    const topic = await newTopic(sns);
    const queue = await createSubscribedQueue(emulators.sqsEndpoint, topic);
    await Promise.all(Array.from({ length: 8 }, () => sns.send(notice(topic))));
    expect(await drain(sqs, queue.queueUrl)).toHaveLength(1);
  });

  it("a refused publish records nothing: the next valid one with its id is delivered", async () => {
    const topic = await newTopic(sns);
    const queue = await createSubscribedQueue(emulators.sqsEndpoint, topic);
    const tooLong = await rejection(sns.send(notice(topic, { Message: "x".repeat(262_145) })));
    expect(tooLong.name).toBe("InvalidParameterException");
    await sns.send(notice(topic));
    expect(await drain(sqs, queue.queueUrl)).toHaveLength(1);
  });

  it("with FifoThroughputScope MessageGroup, the same id in another group is another message", async () => {
    const topic = await newTopic(sns, { FifoThroughputScope: "MessageGroup" });
    const queue = await createSubscribedQueue(emulators.sqsEndpoint, topic);
    await sns.send(notice(topic, { MessageGroupId: "a" }));
    await sns.send(notice(topic, { MessageGroupId: "b" }));
    await sns.send(notice(topic, { MessageGroupId: "a" }));
    expect(await drain(sqs, queue.queueUrl)).toHaveLength(2);
  });

  it("with ContentBasedDeduplication, the body's SHA-256 is the id", async () => {
    const topic = await newTopic(sns, { ContentBasedDeduplication: "true" });
    const queue = await createSubscribedQueue(emulators.sqsEndpoint, topic);
    for (const Message of ["same", "same", "other"])
      await sns.send(notice(topic, { MessageDeduplicationId: undefined, Message }));
    expect(await drain(sqs, queue.queueUrl)).toEqual(["same", "other"]);
  });
});

describe("the deduplication window", () => {
  it("lasts 5 minutes: the same id is delivered again once it has passed", async () => {
    let clock = 1_000_000;
    const stores = (await fauxqsStores())();
    const app = buildApp({ logger: false, stores });
    dedupFifoTopics(app, stores.snsStore, () => clock);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    const endpoint = `http://127.0.0.1:${address.port}`;
    const client = snsClient(endpoint);
    const queues = sqsClient(endpoint);
    try {
      const topic = await newTopic(client);
      const queue = await createSubscribedQueue(endpoint, topic);
      await client.send(notice(topic));
      clock += fifoTopicDedupWindowMs - 1;
      await client.send(notice(topic));
      expect(await drain(queues, queue.queueUrl)).toHaveLength(1);
      clock += 1;
      await client.send(notice(topic));
      expect(await drain(queues, queue.queueUrl)).toHaveLength(1);
    } finally {
      client.destroy();
      queues.destroy();
      await app.close();
    }
  });
});
