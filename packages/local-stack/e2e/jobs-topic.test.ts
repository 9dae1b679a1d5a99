import { randomUUID } from "node:crypto";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionEnvironment } from "../src/function-specs.ts";
import { startTestStack, subscribeQueue, type TestStack } from "../src/testing.ts";

/**
 * The delivery path of the `job.finished` notice on the local stack (ADR 0012): the SNS FIFO topic the stack
 * creates and gives the consumer as JOBS_TOPIC_ARN (it finishes jobs from the table's stream; the worker
 * publishes nothing), an SQS queue subscribed to it as a user would,
 * and the topic's 5-minute deduplication by MessageDeduplicationId.
 */
let stack: TestStack;
let sns: SNSClient;
beforeAll(async () => {
  stack = await startTestStack();
  // No endpoint given: the SDK finds fauxqs through AWS_ENDPOINT_URL_SNS, as the functions do.
  sns = new SNSClient({});
}, 60_000);
afterAll(async () => {
  sns?.destroy();
  await stack?.stop();
});

/** Long-polls the queue until `quietMs` pass without a message; returns every body, deleting each. */
async function receiveAll(queueUrl: string, quietMs = 1_500): Promise<string[]> {
  const bodies: string[] = [];
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    const { Messages = [] } = await stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages) {
      bodies.push(String(m.Body));
      await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
    if (Messages.length > 0) quietSince = Date.now();
  }
  return bodies;
}

const notice = (jobId: string, epoch: number, extra: Record<string, unknown> = {}) =>
  new PublishCommand({
    TopicArn: stack.resources.jobsTopicArn,
    Message: JSON.stringify({ type: "job.finished", jobId, epoch, ...extra }),
    MessageGroupId: jobId,
    MessageDeduplicationId: `${jobId}#${epoch}`,
  });

describe("the jobs topic on the local stack", () => {
  it("is <prefix>-jobs.fifo, in the stack's env for the SDK, and JOBS_TOPIC_ARN of the consumer only", () => {
    expect(stack.resources.jobsTopicArn).toBe(`arn:aws:sns:us-east-1:000000000000:${stack.names.jobsTopic}`);
    expect(stack.names.jobsTopic).toBe("fanout-jobs.fifo");
    expect(stack.env.AWS_ENDPOINT_URL_SNS).toBe(stack.endpoints.sns);
    const envOf = (fn: "worker" | "consumer") =>
      functionEnvironment(fn, stack.settings, stack.resources) as Record<string, string>;
    expect(envOf("consumer").JOBS_TOPIC_ARN).toBe(stack.resources.jobsTopicArn);
    expect(envOf("worker").JOBS_TOPIC_ARN).toBeUndefined();
  });

  it("delivers exactly one message to a subscribed queue for two publishes with the same deduplication id", async () => {
    const queueUrl = await subscribeQueue(stack);
    const jobId = `n-${randomUUID().slice(0, 8)}`;
    await sns.send(notice(jobId, 1_700_000_000_000));
    // What a republish after a crash between Publish and the notifiedAt write sends: same id, same notice.
    await sns.send(notice(jobId, 1_700_000_000_000, { republished: true }));
    const bodies = await receiveAll(queueUrl);
    expect(bodies.map((b) => JSON.parse(b))).toEqual([
      { type: "job.finished", jobId, epoch: 1_700_000_000_000 },
    ]);
  });

  it("delivers the notice of a later incarnation of the same job (another epoch, another id)", async () => {
    const queueUrl = await subscribeQueue(stack, { fifo: true });
    const jobId = `n-${randomUUID().slice(0, 8)}`;
    await sns.send(notice(jobId, 1));
    await sns.send(notice(jobId, 1));
    await sns.send(notice(jobId, 2));
    const epochs = (await receiveAll(queueUrl)).map((b) => (JSON.parse(b) as { epoch: number }).epoch);
    expect(epochs).toEqual([1, 2]);
  });
});
