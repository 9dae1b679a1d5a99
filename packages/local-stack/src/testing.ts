import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { createSubscribedQueue, localCredentials } from "@fanout/emulators";
import { createStore, type DedupStore, type JobStatus, readJobStatus } from "@fanout/job-state";
import { createSqsClient, type SQSClient } from "@fanout/queue";
import { parseSettings, type SettingsInput } from "@fanout/tooling";
import { type Stack, type StackOptions, startStack } from "./stack.ts";

export interface TestStack extends Stack {
  store: DedupStore;
  sqs: SQSClient;
  /** Asynchronous worker invocations Lambda accepted: every dispatch, counted by the service. */
  dispatches(): number;
  /** Polls the job's counters until every task is final. */
  waitForJob(jobId: string, timeoutMs?: number): Promise<JobStatus>;
  client: LambdaClient;
  logDir: string;
  /** Sync invoke; returns the parsed payload, and `functionError` when the function failed. */
  invoke(functionName: string, payload: unknown): Promise<{ payload: unknown; functionError?: string }>;
  /** Parsed JSON log lines a function wrote so far. */
  logs(functionName: string): Record<string, unknown>[];
  /** `worker received name = ...` lines: the names the worker ran, one entry per run. */
  workerRuns(): { taskId: string; name: string }[];
}

/**
 * A fresh SQS queue subscribed to the stack's jobs topic (`<prefix>-jobs.fifo`), as a user of the
 * `job.finished` notices subscribes one on AWS; returns its URL. Raw delivery (each message body is the
 * notice as published) and a standard queue by default, so what it receives is deduplicated by the topic
 * alone; `{ fifo: true }` for an SQS FIFO queue, `{ raw: false }` for SNS's JSON envelope.
 */
export async function subscribeQueue(
  stack: Pick<Stack, "endpoints" | "resources">,
  options: { fifo?: boolean; raw?: boolean } = {},
): Promise<string> {
  const { queueUrl } = await createSubscribedQueue(stack.endpoints.sns, stack.resources.jobsTopicArn, {
    prefix: "notices",
    ...options,
  });
  return queueUrl;
}

/** A stack on free ports with its own log folder, fast async retries and no schedule by default. */
export async function startTestStack(
  settings: SettingsInput = {},
  options: Omit<StackOptions, "settings"> = {},
): Promise<TestStack> {
  const logDir = mkdtempSync(join(tmpdir(), "fanout-e2e-"));
  const stack = await startStack({
    settings: parseSettings(settings),
    sqsPort: 0,
    dynamoPort: 0,
    lambdaPort: 0,
    speed: 1000,
    schedule: false,
    output: null,
    logDir,
    ...options,
  });
  const client = new LambdaClient({
    endpoint: stack.endpoints.lambda,
    region: "us-east-1",
    credentials: localCredentials,
    maxAttempts: 1,
  });
  const logs = (functionName: string) => {
    const file = join(logDir, `${functionName}.log`);
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .flatMap((line) => {
        const record = JSON.parse(line) as { message?: string };
        try {
          return [JSON.parse(record.message ?? "") as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  };
  // The test process talks to the same stack through the standard SDK settings.
  Object.assign(process.env, stack.env);
  const store = createStore({
    tableName: stack.resources.tableName,
    ttlSeconds: stack.settings.dedup.ttl_seconds,
  });
  const sqs = createSqsClient();
  return {
    ...stack,
    store,
    sqs,
    dispatches: () => {
      const worker = stack.lambda.stats()[stack.names.workerFunction];
      return worker?.async.enqueued ?? 0;
    },
    async waitForJob(jobId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await readJobStatus(store, jobId);
        if (status.done) return status;
        if (Date.now() > deadline)
          throw new Error(`job ${jobId} not done after ${timeoutMs} ms: ${JSON.stringify(status)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    client,
    logDir,
    async invoke(functionName, payload) {
      const out = await client.send(
        new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
      );
      const text = Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8");
      return {
        payload: text ? JSON.parse(text) : undefined,
        ...(out.FunctionError ? { functionError: out.FunctionError } : {}),
      };
    },
    logs,
    workerRuns() {
      const prefix = "worker received name = ";
      return logs(stack.names.workerFunction)
        .filter((l) => typeof l.message === "string" && l.message.startsWith(prefix))
        .map((l) => ({ taskId: String(l.taskId), name: String(l.message).slice(prefix.length) }));
    },
    async stop() {
      client.destroy();
      await stack.stop();
    },
  };
}
