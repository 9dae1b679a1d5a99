import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type LocalStack, localCredentials, startLocalResources } from "@fanout/emulators";
import { parseSettings } from "@fanout/tooling";
import { afterAll, beforeAll, expect, it } from "vitest";

// Fresh emulators and resources for this file; settings can be overridden (fewer receives before the DLQ).
let local: LocalStack;
beforeAll(async () => {
  local = await startLocalResources({ settings: parseSettings({ queue: { max_receive_count: 2 } }) });
});
afterAll(() => local.stop());

it("sends a message to the tasks queue", async () => {
  const sqs = new SQSClient({
    endpoint: local.sqsEndpoint,
    region: local.region,
    credentials: localCredentials,
  });
  const sent = await sqs.send(
    new SendMessageCommand({ QueueUrl: local.resources.tasksQueueUrl, MessageBody: "{}" }),
  );
  expect(sent.MessageId).toBeDefined();
});
