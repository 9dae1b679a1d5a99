import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { countRequests } from "@fanout/core";

/**
 * The seed's algorithm (the original Python sample's consumer.py, queue.py, dynamodb.py and
 * lambda_function.py), kept only here, as the benchmark's baseline. Followed exactly:
 *
 * - one ReceiveMessage of up to 10 messages per invocation (short poll, as boto3's default);
 * - each message deleted right after receiving it, before it is handled;
 * - per message, sequentially: a strongly consistent GetItem on the SQS MessageId, and if absent an
 *   asynchronous Invoke of the worker with the body, then an UpdateItem that records the MessageId;
 * - GetQueueUrl before every SQS call;
 * - a new SDK client for every call (boto3.client(...) in every method; each is destroyed after its call,
 *   as Python's garbage collector would drop it, so no connection is reused).
 *
 * Endpoints and region come from the SDK's standard environment variables, as for fanout's functions.
 */
export interface BaselineTarget {
  queueName: string;
  tableName: string;
  workerFunctionName: string;
  /** Applied to every new client (request counting is always on). */
  instrument?: <T extends SQSClient | DynamoDBClient | LambdaClient>(client: T) => T;
}

export interface BaselineRun {
  received: number;
  invoked: number;
  /** Messages whose id was already recorded: not invoked. */
  skipped: number;
  ms: number;
}

async function withClient<C extends { destroy(): void }, R>(
  make: () => C,
  target: BaselineTarget,
  service: string,
  call: (client: C) => Promise<R>,
): Promise<R> {
  const client = countRequests(make() as C & SQSClient, service) as unknown as C;
  const instrumented = (target.instrument ? target.instrument(client as never) : client) as C;
  try {
    return await call(instrumented);
  } finally {
    instrumented.destroy();
  }
}

const sqs = <R>(target: BaselineTarget, call: (c: SQSClient) => Promise<R>) =>
  withClient(() => new SQSClient({}), target, "SQS", call);
const dynamo = <R>(target: BaselineTarget, call: (c: DynamoDBClient) => Promise<R>) =>
  withClient(() => new DynamoDBClient({}), target, "DynamoDB", call);
const lambda = <R>(target: BaselineTarget, call: (c: LambdaClient) => Promise<R>) =>
  withClient(() => new LambdaClient({}), target, "Lambda", call);

async function queueUrl(target: BaselineTarget): Promise<string> {
  const out = await sqs(target, (c) => c.send(new GetQueueUrlCommand({ QueueName: target.queueName })));
  if (!out.QueueUrl) throw new Error(`no QueueUrl for ${target.queueName}`);
  return out.QueueUrl;
}

/** queue.py `dequeue`: receive up to 10, delete each one at once. */
async function dequeue(target: BaselineTarget): Promise<Message[]> {
  const url = await queueUrl(target);
  const out = await sqs(target, (c) =>
    c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 })),
  );
  const messages: Message[] = [];
  for (const message of out.Messages ?? []) {
    messages.push(message);
    const deleteUrl = await queueUrl(target);
    await sqs(target, (c) =>
      c.send(new DeleteMessageCommand({ QueueUrl: deleteUrl, ReceiptHandle: message.ReceiptHandle })),
    );
  }
  return messages;
}

/** consumer.py `lambda_handler`: one invocation. */
export async function baselineInvocation(target: BaselineTarget): Promise<BaselineRun> {
  const started = performance.now();
  const messages = await dequeue(target);
  let invoked = 0;
  for (const message of messages) {
    const id = message.MessageId ?? "";
    const found = await dynamo(target, (c) =>
      c.send(
        new GetItemCommand({ TableName: target.tableName, Key: { pk: { S: id } }, ConsistentRead: true }),
      ),
    );
    if (found.Item !== undefined) continue;
    await lambda(target, (c) =>
      c.send(
        new InvokeCommand({
          FunctionName: target.workerFunctionName,
          InvocationType: "Event",
          LogType: "Tail",
          Payload: Buffer.from(message.Body ?? ""),
        }),
      ),
    );
    invoked += 1;
    await dynamo(target, (c) =>
      c.send(new UpdateItemCommand({ TableName: target.tableName, Key: { pk: { S: id } } })),
    );
  }
  return {
    received: messages.length,
    invoked,
    skipped: messages.length - invoked,
    ms: performance.now() - started,
  };
}

/** queue.py `enqueue`, once per name as main.py calls it: GetQueueUrl, then SendMessage, new clients. */
export async function baselineEnqueue(target: BaselineTarget, bodies: readonly string[]): Promise<void> {
  for (const body of bodies) {
    const url = await queueUrl(target);
    await sqs(target, (c) => c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body })));
  }
}
