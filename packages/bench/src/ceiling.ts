import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createLambdaClient } from "@fanout/invoker";
import { createDynamoClient } from "@fanout/job-state";
import { createSqsClient } from "@fanout/queue";
import type { Settings } from "@fanout/tooling";
import { Activity, Capacity, trackActivity } from "./instrument.ts";
import { type ConsumerRun, measureConsumer, runOurConsumer } from "./ours.ts";
import { startRemoteStack } from "./remote-stack.ts";
import { fillQueue, taskBodies, writeSeedWorker } from "./workload.ts";

export interface CeilingTarget {
  tasksQueueUrl: string;
  tableName: string;
  workerFunctionName: string;
  pollers: number;
  concurrency: number;
  receiveWaitSeconds: number;
}

/** A counting semaphore: at most `limit` holders at once. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  async take(): Promise<void> {
    if (this.used < this.limit) {
      this.used += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used -= 1;
  }
}

/**
 * The least a consumer can do per task and still hand each task on once: pollers receiving batches of 10,
 * and per task one conditional PutItem (the claim), one asynchronous Invoke, one UpdateItem (the mark),
 * then one DeleteMessageBatch per received batch; at most `concurrency` tasks in flight. No job logic, no
 * leases, no retries, no summaries: the ceiling our consumer is compared with on the same stack.
 * Stops when a receive comes back empty after `tasks` were handed on.
 */
export async function runCeilingConsumer(target: CeilingTarget, tasks: number): Promise<ConsumerRun> {
  const activity = new Activity();
  const sockets = target.concurrency + target.pollers * 2;
  const sqs = trackActivity(createSqsClient({ maxSockets: sockets }), activity);
  const lambda = trackActivity(createLambdaClient({ maxSockets: sockets }), activity);
  const dynamo = trackActivity(createDynamoClient({ maxSockets: sockets }), activity);
  try {
    return await measureConsumer(activity, new Capacity(), async () => {
      const t = performance.now();
      const slots = new Slots(target.concurrency);
      const pending = new Set<Promise<void>>();
      let handed = 0;
      let stop = false;
      const handOn = async (body: string, messageId: string) => {
        try {
          await dynamo.send(
            new PutItemCommand({
              TableName: target.tableName,
              Item: { pk: { S: `CEILING#${messageId}` }, status: { S: "CLAIMED" } },
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          );
          await lambda.send(
            new InvokeCommand({
              FunctionName: target.workerFunctionName,
              InvocationType: "Event",
              Payload: Buffer.from(body),
            }),
          );
          await dynamo.send(
            new UpdateItemCommand({
              TableName: target.tableName,
              Key: { pk: { S: `CEILING#${messageId}` } },
              UpdateExpression: "SET #s = :d",
              ExpressionAttributeNames: { "#s": "status" },
              ExpressionAttributeValues: { ":d": { S: "DISPATCHED" } },
            }),
          );
          handed += 1;
        } finally {
          slots.give();
        }
      };
      const poller = async () => {
        while (!stop) {
          const out = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: target.tasksQueueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: target.receiveWaitSeconds,
            }),
          );
          const messages = out.Messages ?? [];
          if (messages.length === 0) {
            if (handed >= tasks) stop = true;
            continue;
          }
          const work: Promise<void>[] = [];
          for (const m of messages) {
            await slots.take();
            work.push(handOn(m.Body ?? "", m.MessageId ?? ""));
          }
          const batch = Promise.all(work).then(async () => {
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: target.tasksQueueUrl,
                Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
              }),
            );
          });
          pending.add(batch);
          batch.then(
            () => pending.delete(batch),
            () => pending.delete(batch),
          );
        }
      };
      await Promise.all(Array.from({ length: target.pollers }, poller));
      await Promise.all(pending);
      return { ms: performance.now() - t, handed, last: true };
    });
  } finally {
    sqs.destroy();
    lambda.destroy();
    dynamo.destroy();
  }
}

export interface CeilingResult {
  latencyMs: number;
  tasks: number;
  pollers: number;
  concurrency: number;
  /** The round with the median ratio. */
  ours: ConsumerRun;
  ceiling: ConsumerRun;
  /** ours / ceiling tasks per second, median over rounds. */
  ratio: number;
  rounds: { ours: ConsumerRun; ceiling: ConsumerRun; ratio: number }[];
}

/**
 * Our consumer (`drain`, as throughput.ts runs it) and the minimal one over `tasks` queued tasks each,
 * against one stack in a child process at `latencyMs`, with the settings' pollers and dispatch
 * concurrency. A small unmeasured warm-up of each first, so neither pays this process's JIT warm-up alone.
 */
export async function measureCeiling(options: {
  tasks: number;
  /** Alternating rounds (ours, then minimal), so that a change in the machine's load hits both. */
  rounds: number;
  latencyMs: number;
  settings: Settings;
  log: (line: string) => void;
}): Promise<CeilingResult> {
  const logDir = mkdtempSync(join(tmpdir(), "fanout-bench-ceiling-"));
  const stack = await startRemoteStack({
    latencyMs: options.latencyMs,
    schedule: false,
    logDir,
    settings: options.settings,
  });
  try {
    Object.assign(process.env, stack.env);
    const worker = stack.names.workerFunction;
    await stack.configure(worker, { codeDir: writeSeedWorker(join(logDir, "seed-worker")) });
    const c = stack.settings.consumer;
    const ceilingTarget: CeilingTarget = {
      tasksQueueUrl: stack.resources.tasksQueueUrl,
      tableName: stack.resources.tableName,
      workerFunctionName: worker,
      pollers: c.pollers,
      concurrency: c.dispatch_concurrency,
      receiveWaitSeconds: c.receive_wait_seconds,
    };
    const oursTarget = {
      tasksQueueUrl: stack.resources.tasksQueueUrl,
      tableName: stack.resources.tableName,
      workerFunctionName: worker,
      settings: stack.settings,
    };
    const warm = Math.min(200, options.tasks);
    await fillQueue(stack.resources.tasksQueueUrl, taskBodies(`bench-ceiling-warm-a-${Date.now()}`, warm));
    await runCeilingConsumer(ceilingTarget, warm);
    await fillQueue(stack.resources.tasksQueueUrl, taskBodies(`bench-ceiling-warm-b-${Date.now()}`, warm));
    await runOurConsumer(oursTarget, warm);
    await stack.idle();

    const rounds: CeilingResult["rounds"] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const fill = (what: string) =>
        fillQueue(
          stack.resources.tasksQueueUrl,
          taskBodies(`bench-ceiling-${what}-${round}-${Date.now()}`, options.tasks),
        );
      await fill("ours");
      const ours = await runOurConsumer(oursTarget, options.tasks);
      await stack.idle();
      await fill("min");
      const ceiling = await runCeilingConsumer(ceilingTarget, options.tasks);
      await stack.idle();
      const ratio = ours.tasksPerSecond / ceiling.tasksPerSecond;
      options.log(
        `  ceiling, ${options.latencyMs} ms, round ${round}: ours ${ours.tasksPerSecond.toFixed(1)} tasks/s, minimal ${ceiling.tasksPerSecond.toFixed(1)} tasks/s (${ratio.toFixed(2)})`,
      );
      rounds.push({ ours, ceiling, ratio });
    }
    const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
    const mid = sorted[Math.floor((sorted.length - 1) / 2)] as CeilingResult["rounds"][number];
    return {
      latencyMs: options.latencyMs,
      tasks: options.tasks,
      pollers: c.pollers,
      concurrency: c.dispatch_concurrency,
      ours: mid.ours,
      ceiling: mid.ceiling,
      ratio: mid.ratio,
      rounds,
    };
  } finally {
    await stack.stop();
  }
}
