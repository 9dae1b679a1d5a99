import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { startTestStack, subscribeQueue } from "@fanout/local-stack/testing";

// A test that reads the job.finished notices: subscribe a queue first, then submit and wait.
const stack = await startTestStack();
const queueUrl = await subscribeQueue(stack);
const { payload } = await stack.invoke(stack.names.mainFunction, { names: [{ name: "Name1" }] });
await stack.waitForJob((payload as { jobId: string }).jobId);
const { Messages = [] } = await stack.sqs.send(
  new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }),
);
console.log(Messages.map((m) => JSON.parse(m.Body ?? "{}"))); // one notice per job, as published
await stack.stop();
