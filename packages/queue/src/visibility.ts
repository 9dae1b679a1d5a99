import { ChangeMessageVisibilityBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { limits } from "@fanout/core";

/**
 * Sets when messages become visible again: 0 returns them at once (e.g. a malformed message on its
 * way to the dead-letter queue), a delay spaces out retries of a throttled dispatch.
 * Best effort: a failure only means the message reappears at its original visibility timeout.
 */
export async function changeVisibility(
  client: SQSClient,
  queueUrl: string,
  entries: readonly { receiptHandle: string; seconds: number }[],
): Promise<number> {
  let failed = 0;
  for (let i = 0; i < entries.length; i += limits.sqsBatchEntries) {
    const chunk = entries.slice(i, i + limits.sqsBatchEntries);
    const out = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((e, j) => ({
          Id: String(j),
          ReceiptHandle: e.receiptHandle,
          VisibilityTimeout: e.seconds,
        })),
      }),
    );
    failed += out.Failed?.length ?? 0;
  }
  return failed;
}
