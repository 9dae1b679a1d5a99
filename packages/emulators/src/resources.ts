import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type ResourceNames, resourceNames, type Settings } from "@fanout/core";
import { localCredentials } from "./credentials.ts";

export interface CreateResourcesOptions {
  /** From `parseSettings({...})` / `loadSettings(path)`; override values in tests as needed. */
  settings: Settings;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  /** Default `settings.aws_region`. */
  region?: string;
}

export interface FanoutResources {
  tasksQueueUrl: string;
  deadLetterQueueUrl: string;
  failedQueueUrl: string;
  tableName: string;
  names: ResourceNames;
}

/** SQS maximum; a dead letter must outlive the retention of the queue it came from. */
const maxRetentionSeconds = 1_209_600;
/** The attribute that `docs/contracts.md` names as the table's TTL. */
export const ttlAttribute = "expiresAt";

/**
 * Creates fanout's queues and table, configured from settings. Idempotent: existing resources are kept
 * (queue attributes are brought back to the settings' values), so it is safe on every stack start.
 */
export async function createResources(options: CreateResourcesOptions): Promise<FanoutResources> {
  const { settings } = options;
  const region = options.region ?? settings.aws_region;
  const names = resourceNames(settings);
  const sqs = new SQSClient({ endpoint: options.sqsEndpoint, region, credentials: localCredentials });
  const dynamo = new DynamoDBClient({
    endpoint: options.dynamoEndpoint,
    region,
    credentials: localCredentials,
  });
  try {
    const [queues, tableName] = await Promise.all([
      createQueues(sqs, settings, names),
      createTable(dynamo, names),
    ]);
    return { ...queues, tableName, names };
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
}

async function createQueues(sqs: SQSClient, settings: Settings, names: ResourceNames) {
  const retained = { MessageRetentionPeriod: String(maxRetentionSeconds) };
  const [deadLetterQueueUrl, failedQueueUrl] = await Promise.all([
    ensureQueue(sqs, names.deadLetterQueue, retained),
    ensureQueue(sqs, names.failedQueue, retained),
  ]);
  const dlq = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const deadLetterTargetArn = dlq.Attributes?.QueueArn;
  if (!deadLetterTargetArn) throw new Error(`SQS returned no QueueArn for ${names.deadLetterQueue}`);
  const tasksQueueUrl = await ensureQueue(sqs, names.tasksQueue, {
    VisibilityTimeout: String(settings.queue.visibility_timeout_seconds),
    MessageRetentionPeriod: String(settings.queue.message_retention_seconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount: settings.queue.max_receive_count }),
  });
  return { tasksQueueUrl, deadLetterQueueUrl, failedQueueUrl };
}

/** CreateQueue is idempotent only for identical attributes; otherwise SQS answers QueueNameExists. */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Partial<Record<QueueAttributeName, string>>,
) {
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (created.QueueUrl) return created.QueueUrl;
  } catch (error) {
    if (!isQueueNameExists(error)) throw error;
  }
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`SQS returned no QueueUrl for ${name}`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

function isQueueNameExists(error: unknown): boolean {
  if (error instanceof QueueNameExists) return true;
  // With the AWS JSON protocol's query-compatibility header the SDK names the error by its query code
  // ("AWS.SimpleQueueService.QueueNameExists"); older endpoints speaking the Query protocol say "QueueAlreadyExists".
  const name = (error as { name?: string } | null)?.name ?? "";
  return /(QueueNameExists|QueueAlreadyExists)$/.test(name);
}

async function createTable(dynamo: DynamoDBClient, names: ResourceNames): Promise<string> {
  const TableName = names.table;
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite (createTableMs: 0) is ACTIVE at once; DynamoDB Local and LocalStack may take a moment.
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName });
  const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  const ttlName = ttl.TimeToLiveDescription?.AttributeName;
  // A second UpdateTimeToLive on DynamoDB fails ("already enabled"), so ask first to stay idempotent.
  if ((status === "ENABLED" || status === "ENABLING") && ttlName === ttlAttribute) return TableName;
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite 4.0.0 does not implement TTL and answers UnknownOperationException. DynamoDB, DynamoDB Local
    // and LocalStack do implement it, so the same call stays. Expiry is checked in code anyway (TTL
    // deletion lags up to 48 h on AWS), so an emulator without TTL only keeps stale items around longer.
    if ((error as { name?: string } | null)?.name !== "UnknownOperationException") throw error;
  }
  return TableName;
}
