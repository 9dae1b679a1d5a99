import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { StreamChange, StreamMappingSpec } from "../src/stream-mapping.ts";
import { fixtureSpec, startTestService, stopTestService, type TestService } from "./helpers.ts";

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

const streamArn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-07T00:00:00.000";

/** A service running the stream-consumer fixture, and a mapping of a stream onto it. */
async function mapped(spec: Partial<StreamMappingSpec> = {}) {
  const out = join(mkdtempSync(join(tmpdir(), "stream-")), "batches.jsonl");
  service = await startTestService(
    [fixtureSpec("folder", "stream-consumer", { environment: { FIXTURE_OUT: out } })],
    { speed: 0.001, sqsEndpoint: `http://127.0.0.1:${sqsServer.port}` },
  );
  const mapping = service.lambda.mapStream({ functionName: "folder", streamArn, ...spec });
  let seq = 0;
  const push = (pk: string, image: Record<string, unknown> = {}) => {
    seq += 1;
    const change: StreamChange = {
      eventName: "MODIFY",
      keys: { pk: { S: pk } },
      newImage: { pk: { S: pk }, ...image },
      sequenceNumber: String(seq).padStart(21, "0"),
    };
    mapping.push(change);
    return change.sequenceNumber;
  };
  const batches = () =>
    readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { pk: string; seq: string; source: string; arn: string }[]);
  return { mapping, push, batches, lambda: service.lambda };
}

/** Every message on the queue now (deleted), parsed. */
async function drain(queueUrl: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!got.Messages?.length) return out;
    for (const m of got.Messages) {
      out.push(JSON.parse(m.Body ?? "null") as Record<string, unknown>);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

describe("DynamoDB stream event source mapping", () => {
  it("delivers each key's changes once, in commit order, in batches of at most batchSize, filtered", async () => {
    const { push, batches, lambda } = await mapped({
      batchSize: 4,
      filters: [JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: "TASK#" }] } } } })],
    });
    const pushed: { pk: string; seq: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const pk = i % 5 === 4 ? `JOB#${i}` : `TASK#${i % 4}`;
      const seq = push(pk);
      if (pk.startsWith("TASK#")) pushed.push({ pk, seq });
    }
    await lambda.idle();
    const got = batches();
    expect(Math.max(...got.map((b) => b.length))).toBeLessThanOrEqual(4);
    const byKey = (records: { pk: string; seq: string }[]) =>
      Object.fromEntries(
        [...Map.groupBy(records, (r) => r.pk)].map(([pk, rs]) => [pk, rs.map((r) => r.seq)]),
      );
    expect(byKey(got.flat())).toEqual(byKey(pushed));
    expect(got.flat().every((r) => r.source === "aws:dynamodb" && r.arn === streamArn)).toBe(true);
  });

  it("retries from the first record the function reports failed, never again delivering those before it", async () => {
    const { push, batches, lambda } = await mapped({
      batchSize: 10,
      batchingWindowMs: 60_000,
      shards: 1,
      reportBatchItemFailures: true,
    });
    const seqs = ["TASK#a", "TASK#b", "TASK#c", "TASK#d"].map((pk) =>
      push(pk, pk === "TASK#c" ? { fail: { S: "once" } } : {}),
    );
    // A batch of 10 would wait a minute for more records: fill it with 6 more.
    for (let i = 0; i < 6; i++) seqs.push(push(`TASK#e${i}`));
    await lambda.idle();
    const got = batches().map((b) => b.map((r) => r.seq));
    expect(got).toEqual([seqs, seqs.slice(2)]);
  });

  it("sends the rest of a failing batch's position to the on-failure queue after its retries, and goes on", async () => {
    const { queueUrl } = sqsServer.createQueue("stream-failures");
    const { push, batches, lambda, mapping } = await mapped({
      batchSize: 2,
      shards: 1,
      reportBatchItemFailures: true,
      maximumRetryAttempts: 2,
      onFailureQueueUrl: queueUrl,
    });
    const ok = push("TASK#ok");
    const poison = push("TASK#poison", { fail: { S: "always" } });
    const after = push("TASK#after");
    await lambda.idle();
    // The first batch, then its retries from the poison record (with the record after it), three in all.
    expect(batches().map((b) => b.map((r) => r.seq))).toEqual([
      [ok, poison],
      [poison, after],
      [poison, after],
    ]);
    const [record, ...more] = await drain(queueUrl);
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 },
      DDBStreamBatchInfo: {
        shardId: "shardId-00000000",
        startSequenceNumber: poison,
        endSequenceNumber: after,
        batchSize: 2,
        streamArn,
      },
    });
    expect(mapping.stats()).toMatchObject({ sentToFailureDestination: 2, retries: 2 });
    // The shard goes on after the records it gave up.
    const later = push("TASK#later");
    await lambda.idle();
    expect(
      batches()
        .at(-1)
        ?.map((r) => r.seq),
    ).toEqual([later]);
  });

  it("retries the whole batch when the function fails, whatever it would have reported", async () => {
    const { queueUrl } = sqsServer.createQueue("stream-failures-thrown");
    const { push, batches, lambda } = await mapped({
      batchSize: 2,
      shards: 1,
      reportBatchItemFailures: true,
      maximumRetryAttempts: 1,
      onFailureQueueUrl: queueUrl,
    });
    const first = push("TASK#first");
    const thrower = push("TASK#thrower", { throw: { BOOL: true } });
    await lambda.idle();
    expect(batches().map((b) => b.map((r) => r.seq))).toEqual([
      [first, thrower],
      [first, thrower],
    ]);
    const [record] = await drain(queueUrl);
    expect(record).toMatchObject({
      responseContext: { functionError: "Unhandled" },
      DDBStreamBatchInfo: { startSequenceNumber: first, endSequenceNumber: thrower, batchSize: 2 },
    });
  });

  it("refuses a filter pattern it does not model", async () => {
    service = await startTestService([fixtureSpec("folder", "stream-consumer")]);
    expect(() =>
      service?.lambda.mapStream({
        functionName: "folder",
        streamArn,
        filters: [JSON.stringify({ dynamodb: { SizeBytes: [{ numeric: [">", 1] }] } })],
      }),
    ).toThrow(/filter pattern not supported/);
  });
});
