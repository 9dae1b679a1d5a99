import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { tableDefinition } from "@fanout/core";
import { type ResourceNames, resourceNames, type Settings } from "@fanout/tooling";
import { localCredentials } from "./credentials.ts";

export interface CreateResourcesOptions {
  /** From `parseSettings({...})` / `loadSettings(path)`; override values in tests as needed. */
  settings: Settings;
  sqsEndpoint: string;
  /** Default `sqsEndpoint` (fauxqs serves SNS on the same port). */
  snsEndpoint?: string;
  dynamoEndpoint: string;
  /** Default `settings.aws_region`. */
  region?: string;
}

export interface FanoutResources {
  tasksQueueUrl: string;
  deadLetterQueueUrl: string;
  failedQueueUrl: string;
  tableName: string;
  /** The SNS FIFO topic `<prefix>-jobs.fifo` of the `job.finished` notices (JOBS_TOPIC_ARN). */
  jobsTopicArn: string;
  /** The bucket job sources are uploaded to (`<prefix>-input`, INPUT_BUCKET), served by fauxqs' S3. */
  inputBucket: string;
  names: ResourceNames;
}

/** SQS maximum; a dead letter must outlive the retention of the queue it came from. */
const maxRetentionSeconds = 1_209_600;
/** The attribute that `docs/contracts.md` names as the table's TTL. */
export const ttlAttribute = "expiresAt";

/**
 * Creates fanout's queues, jobs topic and table, configured from settings. Idempotent: existing resources are
 * kept (queue attributes are brought back to the settings' values), so it is safe on every stack start.
 */
export async function createResources(options: CreateResourcesOptions): Promise<FanoutResources> {
  const { settings } = options;
  const region = options.region ?? settings.aws_region;
  const names = resourceNames(settings);
  const sqs = new SQSClient({ endpoint: options.sqsEndpoint, region, credentials: localCredentials });
  const sns = new SNSClient({
    endpoint: options.snsEndpoint ?? options.sqsEndpoint,
    region,
    credentials: localCredentials,
  });
  const dynamo = new DynamoDBClient({
    endpoint: options.dynamoEndpoint,
    region,
    credentials: localCredentials,
  });
  const s3 = new S3Client({
    endpoint: options.snsEndpoint ?? options.sqsEndpoint,
    region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  try {
    const [queues, jobsTopicArn, tableName, inputBucket] = await Promise.all([
      createQueues(sqs, settings, names),
      createJobsTopic(sns, names),
      createTable(dynamo, names),
      createInputBucket(s3, names),
    ]);
    return { ...queues, jobsTopicArn, tableName, inputBucket, names };
  } finally {
    sqs.destroy();
    sns.destroy();
    dynamo.destroy();
    s3.destroy();
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

/**
 * As Terraform's modules/notifications: FIFO, deduplication by the publisher's MessageDeduplicationId only.
 * CreateTopic is idempotent for the same attributes.
 */
async function createJobsTopic(sns: SNSClient, names: ResourceNames): Promise<string> {
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({
      Name: names.jobsTopic,
      // Deduplication across the topic, as Terraform's fifo_throughput_scope = "Topic".
      Attributes: { FifoTopic: "true", ContentBasedDeduplication: "false", FifoThroughputScope: "Topic" },
    }),
  );
  if (!TopicArn) throw new Error(`SNS returned no TopicArn for ${names.jobsTopic}`);
  return TopicArn;
}

/** The job sources' bucket, as Terraform's modules/input (which adds encryption and expiry AWS enforces). */
async function createInputBucket(s3: S3Client, names: ResourceNames): Promise<string> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: names.inputBucket }));
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    if (!(error instanceof BucketAlreadyOwnedByYou) && name !== "BucketAlreadyOwnedByYou") throw error;
  }
  return names.inputBucket;
}

async function createTable(dynamo: DynamoDBClient, names: ResourceNames): Promise<string> {
  const TableName = names.table;
  const definition = tableDefinition(TableName);
  try {
    await dynamo.send(new CreateTableCommand(definition));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite (createTableMs: 0) is ACTIVE at once; DynamoDB Local and LocalStack may take a moment.
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName });
  // A table kept from before the job indexes (a --data-dir of an older version): dynalite cannot add an
  // index to an existing table (UpdateTable ignores GlobalSecondaryIndexUpdates.Create), so say so.
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = definition.GlobalSecondaryIndexes.map((i) => i.IndexName).filter((n) => !present.has(n));
  if (missing.length > 0) {
    throw new Error(
      `table ${TableName} exists without the index(es) ${missing.join(", ")}: it was created by an older version ` +
        "(kept in a --data-dir?). Delete that data directory, or the table, and start again.",
    );
  }
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
