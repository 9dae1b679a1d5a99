import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { parseSettings } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import { startDynamo } from "./dynamo.ts";
import { startEmulators } from "./emulators.ts";
import { awsEnv } from "./env.ts";
import { createResources } from "./resources.ts";
import { startSqs } from "./sqs.ts";
import { dynamoClient, sqsClient } from "./test-clients.ts";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** Resolves when `port` can be bound again on 127.0.0.1. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function timed<T>(start: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await start();
  return [value, Math.round(performance.now() - t)];
}

describe("lifecycle", () => {
  it("starts, binds loopback, and stop() frees the port even with open connections and a long poll", async () => {
    const [sqs, sqsMs] = await timed(() => startSqs());
    const [dynamo, dynamoMs] = await timed(() => startDynamo());
    expect(sqs.endpoint).toBe(`http://127.0.0.1:${sqs.port}`);
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
    const settings = parseSettings({});
    const [res, resourcesMs] = await timed(() =>
      createResources({ settings, sqsEndpoint: sqs.endpoint, dynamoEndpoint: dynamo.endpoint }),
    );
    // Timings are printed, not asserted: on a busy 2-core machine any bound would be a bet.
    console.info(`start-up: fauxqs ${sqsMs} ms, dynalite ${dynamoMs} ms, createResources ${resourcesMs} ms`);

    // Clients that keep connections alive, and a 20 s long poll still waiting, must not hold stop() up.
    const sqsC = sqsClient(sqs.endpoint);
    const dbC = dynamoClient(dynamo.endpoint);
    await dbC.send(new DescribeTableCommand({ TableName: res.tableName }));
    const poll = sqsC
      .send(new ReceiveMessageCommand({ QueueUrl: res.tasksQueueUrl, WaitTimeSeconds: 20 }))
      .then(
        () => "answered",
        () => "connection closed",
      );
    await new Promise((r) => setTimeout(r, 100));
    const [, stopMs] = await timed(() => Promise.all([sqs.stop(), dynamo.stop(), sqs.stop()]));
    console.info(`stop: ${stopMs} ms`);
    // stop() did not wait for the long poll to end with an (empty) answer: it closed its connection.
    expect(await poll).toBe("connection closed");
    sqsC.destroy();
    dbC.destroy();
    expect(await portIsFree(sqs.port)).toBe(true);
    expect(await portIsFree(dynamo.port)).toBe(true);
  }, 60_000);

  it("createResources is idempotent and applies settings to existing queues", async () => {
    const emulators = await startEmulators();
    const sqs = sqsClient(emulators.sqsEndpoint);
    const db = dynamoClient(emulators.dynamoEndpoint);
    try {
      const endpoints = { sqsEndpoint: emulators.sqsEndpoint, dynamoEndpoint: emulators.dynamoEndpoint };
      const first = await createResources({ settings: parseSettings({ name_prefix: "idem" }), ...endpoints });
      const settings = parseSettings({
        name_prefix: "idem",
        queue: { visibility_timeout_seconds: 90, max_receive_count: 3, message_retention_seconds: 600 },
      });
      const second = await createResources({ settings, ...endpoints });
      expect(second).toEqual(first);
      expect(second.tasksQueueUrl).toBe(`${emulators.sqsEndpoint}/000000000000/idem-tasks`);
      expect(second.names.table).toBe("idem-dedup");
      expect(second.jobsTopicArn).toBe("arn:aws:sns:us-east-1:000000000000:idem-jobs.fifo");
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: second.tasksQueueUrl, AttributeNames: ["All"] }),
      );
      expect(Attributes.VisibilityTimeout).toBe("90");
      expect(Attributes.MessageRetentionPeriod).toBe("600");
      expect(JSON.parse(Attributes.RedrivePolicy ?? "{}")).toEqual({
        deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:idem-tasks-dlq",
        maxReceiveCount: 3,
      });
      // dynalite has no TTL (UnknownOperationException was tolerated); DescribeTimeToLive says so.
      const ttl = await db.send(new DescribeTimeToLiveCommand({ TableName: second.tableName }));
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe("DISABLED");
    } finally {
      sqs.destroy();
      db.destroy();
      await emulators.stop();
    }
  }, 60_000);

  it("awsEnv points a child process' SDK at the emulators", async () => {
    const emulators = await startEmulators();
    try {
      const res = await createResources({
        settings: parseSettings({}),
        sqsEndpoint: emulators.sqsEndpoint,
        dynamoEndpoint: emulators.dynamoEndpoint,
      });
      const env = awsEnv({
        sqsEndpoint: emulators.sqsEndpoint,
        dynamoEndpoint: emulators.dynamoEndpoint,
        region: "us-east-1",
      });
      expect(Object.keys(env).sort()).toEqual(
        [
          "AWS_ACCESS_KEY_ID",
          "AWS_DEFAULT_REGION",
          "AWS_ENDPOINT_URL_DYNAMODB",
          "AWS_ENDPOINT_URL_S3",
          "AWS_ENDPOINT_URL_SNS",
          "AWS_ENDPOINT_URL_SQS",
          "AWS_REGION",
          "AWS_SECRET_ACCESS_KEY",
        ].sort(),
      );
      // No endpoint in the constructors: the SDK must take it from AWS_ENDPOINT_URL_*.
      const child = `
        import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
        import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
        import { SNSClient, ListTopicsCommand } from "@aws-sdk/client-sns";
        import { S3Client, ListBucketsCommand } from "@aws-sdk/client-s3";
        const sqs = new SQSClient({}); const db = new DynamoDBClient({}); const sns = new SNSClient({}); const s3 = new S3Client({});
        const sent = await sqs.send(new SendMessageCommand({ QueueUrl: process.argv[1], MessageBody: "from child" }));
        const tables = await db.send(new ListTablesCommand({}));
        const topics = await sns.send(new ListTopicsCommand({}));
        const buckets = await s3.send(new ListBucketsCommand({}));
        console.log(JSON.stringify({ id: sent.MessageId, tables: tables.TableNames, topics: topics.Topics?.map((t) => t.TopicArn), buckets: buckets.Buckets?.map((b) => b.Name) }));`;
      const { stdout } = await run(
        process.execPath,
        ["--input-type=module", "-e", child, res.tasksQueueUrl],
        {
          cwd: packageDir,
          env: { PATH: process.env.PATH ?? "", ...env },
          timeout: 15_000,
        },
      );
      const out = JSON.parse(stdout) as { id: string; tables: string[]; topics: string[]; buckets: string[] };
      expect(out.id).toBeTruthy();
      expect(out.tables).toContain(res.tableName);
      expect(out.topics).toContain(res.jobsTopicArn);
      expect(out.buckets).toContain(res.inputBucket);
    } finally {
      await emulators.stop();
    }
  }, 60_000);

  it("a child process that starts, uses and stops the emulators exits on its own: no handle is left open", async () => {
    const script = `
      import { startLocalResources } from "./src/index.ts";
      const t = performance.now();
      const stack = await startLocalResources();
      const ms = Math.round(performance.now() - t);
      await stack.stop();
      console.log(ms);`;
    // The kill timeout only guards against a hang (an open handle keeps the process alive forever); it is
    // far above any start-up time, and the assertion is that it was not needed, not how fast the exit was.
    const killAfterMs = 90_000;
    const child = await new Promise<{
      code: number | null;
      signal: string | null;
      killed: boolean;
      stdout: string;
    }>((resolve) => {
      const proc = execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { cwd: packageDir, timeout: killAfterMs },
        (_error, stdout) =>
          resolve({
            code: proc.exitCode,
            signal: proc.signalCode,
            killed: proc.killed,
            stdout: String(stdout),
          }),
      );
    });
    expect(child).toMatchObject({ code: 0, signal: null, killed: false });
    expect(child.stdout.trim()).toMatch(/^\d+$/);
    console.info(`child process: startLocalResources ${child.stdout.trim()} ms`);
  }, 120_000);

  it("startDynamo with dataDir measures its start-up too", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dataDir = await mkdtemp(join(tmpdir(), "fanout-dynalite-"));
    try {
      const [dynamo, ms] = await timed(() => startDynamo({ dataDir }));
      console.info(`start-up: dynalite with dataDir ${ms} ms`);
      await dynamo.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
