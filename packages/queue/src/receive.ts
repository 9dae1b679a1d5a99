import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { limits } from "@fanout/core";

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
}

export interface ReceiveOptions {
  maxMessages?: number;
  /** Long-poll wait, 0-20 s. */
  waitSeconds?: number;
  visibilityTimeoutSeconds?: number;
  abortSignal?: AbortSignal;
}

/** One long-poll ReceiveMessage with `ApproximateReceiveCount`. */
export async function receiveMessages(
  client: SQSClient,
  queueUrl: string,
  options: ReceiveOptions = {},
): Promise<ReceivedMessage[]> {
  const out = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(options.maxMessages ?? limits.sqsBatchEntries, limits.sqsBatchEntries),
      WaitTimeSeconds: Math.min(options.waitSeconds ?? limits.sqsMaxWaitSeconds, limits.sqsMaxWaitSeconds),
      VisibilityTimeout: options.visibilityTimeoutSeconds,
      MessageSystemAttributeNames: ["ApproximateReceiveCount"],
    }),
    options.abortSignal ? { abortSignal: options.abortSignal } : {},
  );
  return (out.Messages ?? []).flatMap((m) =>
    m.MessageId && m.ReceiptHandle && m.Body !== undefined
      ? [
          {
            messageId: m.MessageId,
            receiptHandle: m.ReceiptHandle,
            body: m.Body,
            receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
          },
        ]
      : [],
  );
}
