import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createLogger } from "@fanout/core";
import { finishRun, startRun } from "@fanout/dedup";
import { clockedStore, TaskStream } from "@fanout/dedup/testing";
import { createSubscribedQueue, localCredentials, startLocalResources } from "@fanout/emulators";
import { type DedupStore, dueNotices, type JobNotice, readJob, recordJob } from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSnsClient } from "./client.ts";
import { announce, publishNotice, republishDue } from "./publish.ts";

// The notice path against fauxqs (SNS FIFO, a subscribed SQS queue) and dynalite (the job record's outbox).
let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: ReturnType<typeof clockedStore>;
let sqs: SQSClient;
/** The table's stream: the job's finish comes from counting its task changes, as the consumer does. */
const stream = new TaskStream();
beforeAll(async () => {
  local = await startLocalResources({ onChange: stream.onChange });
  Object.assign(process.env, local.env());
  store = clockedStore({ endpoint: local.dynamoEndpoint, tableName: local.resources.tableName });
  sqs = new SQSClient({ endpoint: local.sqsEndpoint, region: "us-east-1", credentials: localCredentials });
});
afterAll(async () => {
  sqs?.destroy();
  await local?.stop();
});

/** Every message in the queue now (SNS delivers before Publish returns), deleted as read. */
async function drain(queueUrl: string): Promise<JobNotice[]> {
  const out: JobNotice[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return out;
    for (const m of Messages) {
      out.push(JSON.parse(String(m.Body)));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

const noticeOf = (jobId: string, epoch = 1): JobNotice => ({
  type: "job.finished",
  jobId,
  epoch,
  state: "succeeded",
  total: 1,
  succeeded: 1,
  failed: 0,
  cancelled: 0,
  createdAt: new Date(0).toISOString(),
  finishedAt: new Date(1).toISOString(),
});

/** A finished job whose notice is recorded and due, as the finishing write leaves it. */
async function finishedJob(s: DedupStore): Promise<JobNotice> {
  const jobId = `n-${randomUUID().slice(0, 8)}`;
  await recordJob(s, { jobId, contentHash: "h", total: 1 });
  const job = await readJob(s, jobId);
  if (!job) throw new Error("no job record");
  const run = { taskId: `${jobId}#0`, jobId, index: 0, owner: "w", epoch: job.epoch };
  await startRun(s, run, 60);
  await finishRun(s, run, { status: "SUCCEEDED" });
  const [notice] = await stream.settle(s, jobId);
  if (!notice) throw new Error("the run did not finish the job");
  return notice;
}

describe("job notices", () => {
  it("delivers a notice published twice (a crash before it was marked) once: SNS deduplicates by job incarnation", async () => {
    const { queueUrl } = await createSubscribedQueue(local.sqsEndpoint, local.resources.jobsTopicArn);
    const sns = createSnsClient();
    const notice = noticeOf(`dup-${randomUUID().slice(0, 8)}`);
    await publishNotice(sns, local.resources.jobsTopicArn, notice);
    await publishNotice(sns, local.resources.jobsTopicArn, notice);
    expect(await drain(queueUrl)).toEqual([notice]);
    // Another incarnation of the same jobId is another notice.
    const later = { ...notice, epoch: 2 };
    await publishNotice(sns, local.resources.jobsTopicArn, later);
    expect(await drain(queueUrl)).toEqual([later]);
  });

  it("announces a finished job's notice and takes it out of the outbox", async () => {
    const { queueUrl } = await createSubscribedQueue(local.sqsEndpoint, local.resources.jobsTopicArn);
    const notice = await finishedJob(store);
    const deps = {
      store,
      sns: createSnsClient(),
      topicArn: local.resources.jobsTopicArn,
      logger: createLogger("t"),
    };
    expect(await announce(deps, notice)).toBe(true);
    expect(await drain(queueUrl)).toEqual([notice]);
    store.advance(60_000);
    expect((await dueNotices(store, 30_000, 1000)).map((n) => n.jobId)).not.toContain(notice.jobId);
  });

  it("republishes a notice its winner left due, once the grace period passed, and only then", async () => {
    const { queueUrl } = await createSubscribedQueue(local.sqsEndpoint, local.resources.jobsTopicArn);
    const notice = await finishedJob(store);
    const deps = {
      store,
      sns: createSnsClient(),
      topicArn: local.resources.jobsTopicArn,
      logger: createLogger("t"),
    };
    // The winner died before publishing: within the grace period the sweep leaves it to the winner.
    await republishDue(deps, 30_000);
    expect((await drain(queueUrl)).filter((n) => n.jobId === notice.jobId)).toEqual([]);
    store.advance(31_000);
    expect(await republishDue(deps, 30_000)).toBeGreaterThanOrEqual(1);
    expect((await drain(queueUrl)).filter((n) => n.jobId === notice.jobId)).toEqual([notice]);
    // Published and marked: a later sweep sends nothing more.
    store.advance(31_000);
    await republishDue(deps, 30_000);
    expect((await drain(queueUrl)).filter((n) => n.jobId === notice.jobId)).toEqual([]);
  });

  it("records the notice and publishes nothing without a topic", async () => {
    const notice = await finishedJob(store);
    expect(await announce({ store, logger: createLogger("t") }, notice)).toBe(false);
    store.advance(31_000);
    expect((await dueNotices(store, 30_000, 1000)).map((n) => n.jobId)).toContain(notice.jobId);
  });
});
