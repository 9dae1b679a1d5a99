import { randomUUID } from "node:crypto";
import { SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { defaultRegion, localCredentials } from "./credentials.ts";

export interface FreshQueueOptions {
  /** Queue name prefix; a random suffix keeps every call's queue its own. Default `q`. */
  prefix?: string;
  /** Attributes of the queue (e.g. `VisibilityTimeout`). */
  attributes?: Record<string, string>;
  /** Also create a dead-letter queue and redrive to it after this many receives. */
  maxReceiveCount?: number;
}

export interface FreshQueue {
  queueUrl: string;
  /** Only with `maxReceiveCount`. */
  deadLetterQueueUrl?: string;
}

/**
 * Creates a uniquely named queue (and, with `maxReceiveCount`, its own dead-letter queue) on an SQS
 * endpoint. Tests take one per test, so a test that timed out or failed cannot leave messages behind for the
 * next one: nothing is shared between tests but the emulator process.
 */
export async function createFreshQueue(
  sqsEndpoint: string,
  options: FreshQueueOptions = {},
): Promise<FreshQueue> {
  const sqs = new SQSClient({ endpoint: sqsEndpoint, region: defaultRegion, credentials: localCredentials });
  const name = `${options.prefix ?? "q"}-${randomUUID()}`;
  const create = async (QueueName: string, Attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName, Attributes }));
    if (!QueueUrl) throw new Error(`SQS returned no QueueUrl for ${QueueName}`);
    return QueueUrl;
  };
  try {
    if (options.maxReceiveCount === undefined)
      return { queueUrl: await create(name, options.attributes ?? {}) };
    const deadLetterQueueUrl = await create(`${name}-dlq`, {});
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const deadLetterTargetArn = dlq.Attributes?.QueueArn;
    if (!deadLetterTargetArn) throw new Error(`SQS returned no QueueArn for ${name}-dlq`);
    const queueUrl = await create(name, {
      ...options.attributes,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount: options.maxReceiveCount }),
    });
    return { queueUrl, deadLetterQueueUrl };
  } finally {
    sqs.destroy();
  }
}

export interface SubscribedQueueOptions {
  /** Queue name prefix, as {@link createFreshQueue}'s. Default `sub`. */
  prefix?: string;
  /** An SQS FIFO queue (`.fifo`; it deduplicates again by itself) instead of a standard one. Default false. */
  fifo?: boolean;
  /** RawMessageDelivery: the queue gets the published message as it was, not SNS's JSON envelope. Default true. */
  raw?: boolean;
}

export interface SubscribedQueue {
  queueUrl: string;
  subscriptionArn: string;
}

/**
 * Creates a fresh queue on the emulator and subscribes it to an SNS topic served by the same fauxqs
 * (`endpoint`): what a user of the jobs topic does on AWS, minus the queue policy fauxqs does not check.
 * A standard queue by default, so a test sees the topic's own deduplication, not the queue's.
 */
export async function createSubscribedQueue(
  endpoint: string,
  topicArn: string,
  options: SubscribedQueueOptions = {},
): Promise<SubscribedQueue> {
  const sqs = new SQSClient({ endpoint, region: defaultRegion, credentials: localCredentials });
  const sns = new SNSClient({ endpoint, region: defaultRegion, credentials: localCredentials });
  const fifo = options.fifo ?? false;
  // A FIFO queue's name ends in .fifo (80 characters in all).
  const name = `${options.prefix ?? "sub"}-${randomUUID()}${fifo ? ".fifo" : ""}`;
  try {
    const { QueueUrl: queueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: "true" } : {} }),
    );
    if (!queueUrl) throw new Error(`SQS returned no QueueUrl for ${name}`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    const queueArn = Attributes?.QueueArn;
    if (!queueArn) throw new Error(`SQS returned no QueueArn for ${queueUrl}`);
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "sqs",
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: String(options.raw ?? true) },
        ReturnSubscriptionArn: true,
      }),
    );
    if (!SubscriptionArn) throw new Error(`SNS returned no SubscriptionArn for ${queueArn}`);
    return { queueUrl, subscriptionArn: SubscriptionArn };
  } finally {
    sqs.destroy();
    sns.destroy();
  }
}

export interface WaitUntilOptions {
  /** Overall deadline; generous by default, since tests run on a busy 2-core machine. */
  timeoutMs?: number;
  /** Pause between checks. */
  intervalMs?: number;
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, and returns that value. Fails
 * loudly (naming `what` and the last value seen) when the deadline passes. Use it instead of a fixed sleep
 * that stands in for a condition (a lease expired, a message is visible again, a file was written).
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitUntilOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await check();
    if (last !== undefined && last !== false) return last as T;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
