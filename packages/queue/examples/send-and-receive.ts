import { encodeTask, makeTask } from "@fanout/core";
import { createSqsClient, deleteMessages, receiveMessages, sendMessages } from "@fanout/queue";

const sqs = createSqsClient(); // once per container; endpoint from AWS_ENDPOINT_URL_SQS if set
const queueUrl = process.env.TASKS_QUEUE_URL ?? "http://127.0.0.1:4566/000000000000/fanout-tasks";
const names = ["Name1", "Name2"];
const { failed } = await sendMessages(
  sqs,
  queueUrl,
  names.map((name, index) => ({ id: String(index), body: encodeTask(makeTask("job-1", index, name)) })),
);
if (failed.length > 0) throw new Error(`${failed.length} not enqueued: ${failed[0]?.code}`);

const messages = await receiveMessages(sqs, queueUrl, { waitSeconds: 2 });
const { failed: notDeleted } = await deleteMessages(
  sqs,
  queueUrl,
  messages.map((m) => m.receiptHandle),
);
// An undeleted message is received again after its visibility timeout: at-least-once, never lost.
console.log(`${messages.length} received, ${notDeleted.length} left to come back`);
