import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createLogger } from "@fanout/core";
import { finishRun, startRun } from "@fanout/dedup";
import {
  createSubscribedQueue,
  type ItemChange,
  type LocalStack,
  localCredentials,
  startLocalResources,
} from "@fanout/emulators";
import { createDynamoClient, createStore, type DedupStore, readJob, recordJob } from "@fanout/job-state";
import { streamRecordOf } from "@fanout/local-lambda";
import { createSnsClient } from "@fanout/notices";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countStreamBatch, isStreamEvent } from "./stream-batch.ts";

let local: LocalStack;
/** Every committed change of the emulator's items: the table's stream. */
const changes: ItemChange[] = [];
let store: DedupStore;
let sqs: SQSClient;
/** Counter shards whose writes fail (a DynamoDB fault no server produces on demand). */
const failing = new Set<string>();

beforeAll(async () => {
  local = await startLocalResources({ onChange: (c) => changes.push(c) });
  Object.assign(process.env, local.env());
  const client = createDynamoClient({ maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args) => {
      const pk = (args.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S ?? "";
      if (failing.has(pk)) throw new Error(`injected fault on ${pk}`);
      return next(args);
    },
    { step: "initialize", name: "failShards" },
  );
  store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400, client });
  sqs = new SQSClient({ endpoint: local.sqsEndpoint, region: "us-east-1", credentials: localCredentials });
});
afterAll(async () => {
  sqs.destroy();
  await local.stop();
});

const deps = () => ({
  store,
  logger: createLogger("stream-batch-test"),
  notices: { sns: createSnsClient(), topicArn: local.resources.jobsTopicArn },
});

/** A job of `total` tasks, each run to success as the worker runs it; answers the job and its changes. */
async function succeededJob(total: number) {
  const jobId = `sb-${randomUUID().slice(0, 8)}`;
  await recordJob(store, { jobId, contentHash: "h", total });
  const job = await readJob(store, jobId);
  if (!job) throw new Error("no job record");
  const from = changes.length;
  for (let index = 0; index < total; index++) {
    const run = { taskId: `${jobId}#${index}`, jobId, index, owner: "w", epoch: job.epoch };
    await startRun(store, run, 60);
    await finishRun(store, run, { status: "SUCCEEDED" });
  }
  return { job, changes: changes.slice(from) };
}

/** The changes as Lambda's event source mapping hands them to the consumer. */
const eventOf = (batch: ItemChange[]) => ({
  Records: batch.map((change) =>
    streamRecordOf(change, {
      region: "us-east-1",
      streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x",
      viewType: "NEW_IMAGE",
      arrivedAt: Date.now(),
    }),
  ),
});

async function received(queueUrl: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!got.Messages?.length) return out;
    for (const m of got.Messages) {
      // Raw delivery or the SNS envelope, as the subscription says.
      const body = JSON.parse(String(m.Body));
      out.push(typeof body.Message === "string" ? JSON.parse(body.Message) : body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

describe("the consumer's stream batches", () => {
  it("tells a stream batch from the schedule's, main's and a person's events", () => {
    expect(isStreamEvent(eventOf([]))).toBe(false);
    expect(isStreamEvent({ Records: [{ eventSource: "aws:dynamodb" }] })).toBe(true);
    expect(isStreamEvent({ Records: [{ eventSource: "aws:sqs" }] })).toBe(false);
    expect(isStreamEvent({})).toBe(false);
    expect(isStreamEvent(null)).toBe(false);
  });

  it("counts a batch's task changes, finishes the job and publishes its notice once, with every other record skipped", async () => {
    const { queueUrl } = await createSubscribedQueue(local.sqsEndpoint, local.resources.jobsTopicArn);
    const { job, changes: batch } = await succeededJob(3);
    // The batch holds the claims' and starts' changes too (no filter here): they count for nothing.
    expect(batch.length).toBeGreaterThan(3);
    expect(await countStreamBatch(deps(), eventOf(batch))).toEqual({ batchItemFailures: [] });
    expect(await received(queueUrl)).toMatchObject([
      { type: "job.finished", jobId: job.jobId, state: "succeeded", succeeded: 3 },
    ]);
    expect((await readJob(store, job.jobId))?.notifiedAt).toBeDefined();
    // Delivered again (at least once): nothing more.
    expect(await countStreamBatch(deps(), eventOf(batch))).toEqual({ batchItemFailures: [] });
    expect(await received(queueUrl)).toEqual([]);
  });

  it("answers the records of a counter shard it could not write, so the mapping retries from the first", async () => {
    // Two tasks: one counter shard (a job under 128 tasks has one).
    const { job, changes: batch } = await succeededJob(2);
    const shard = `JOB#${job.jobId}#E${job.epoch}#I#0`;
    failing.add(shard);
    const answer = await countStreamBatch(deps(), eventOf(batch));
    failing.delete(shard);
    const outcomes = batch.filter((c) => c.newImage?.status?.S === "SUCCEEDED").map((c) => c.sequenceNumber);
    expect(outcomes).toHaveLength(2);
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(outcomes.sort());
    expect((await readJob(store, job.jobId))?.finishedAt).toBeUndefined();
    expect(await countStreamBatch(deps(), eventOf(batch))).toEqual({ batchItemFailures: [] });
    expect((await readJob(store, job.jobId))?.finishedAt).toBeDefined();
  });

  it("refuses a batch that is not a DynamoDB stream batch as a whole", async () => {
    await expect(countStreamBatch(deps(), { Records: [] })).rejects.toThrow();
    await expect(
      countStreamBatch(deps(), { Records: [{ eventSource: "aws:dynamodb", dynamodb: {} }] }),
    ).rejects.toThrow(/SequenceNumber/);
  });
});
