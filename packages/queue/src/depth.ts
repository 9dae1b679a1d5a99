import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** SQS's approximate message counts (eventually consistent: for progress views, not for decisions). */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const out = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  const n = (key: keyof NonNullable<typeof out.Attributes>) => Number(out.Attributes?.[key] ?? 0);
  return {
    visible: n("ApproximateNumberOfMessages"),
    inFlight: n("ApproximateNumberOfMessagesNotVisible"),
    delayed: n("ApproximateNumberOfMessagesDelayed"),
  };
}
