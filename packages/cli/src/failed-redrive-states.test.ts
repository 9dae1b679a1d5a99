import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  ChangeMessageVisibilityCommand,
  type ReceiveMessageCommandOutput,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { makeTask, parseTask } from "@fanout/core";
import { claimTask, finishRun, readTask, startRun } from "@fanout/dedup";
import { markDispatchedAsV010 } from "@fanout/dedup/testing";
import { createFreshQueue, localCredentials, startLocalResources } from "@fanout/emulators";
import { createStore, type DedupStore, readJob, recordJob } from "@fanout/job-state";
import { receiveMessages } from "@fanout/queue";
import { parseSettings, resourceNames } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliContext } from "./context.ts";
import { failedRedrive, type RedriveReport } from "./failed-redrive.ts";
import { testIo } from "./testing.ts";

/**
 * `failed redrive` on the emulators (dynalite, fauxqs) against task records in each state a record's task
 * can be in: each test has queues of its own, and its own job in the table.
 */
let local: Awaited<ReturnType<typeof startLocalResources>>;
let sqs: SQSClient;
let store: DedupStore;
beforeAll(async () => {
  local = await startLocalResources();
  const aws = { region: local.region, credentials: localCredentials };
  sqs = new SQSClient({ ...aws, endpoint: local.sqsEndpoint });
  store = createStore({
    tableName: local.resources.tableName,
    ttlSeconds: 86_400,
    client: new DynamoDBClient({ ...aws, endpoint: local.dynamoEndpoint }),
  });
});
afterAll(async () => {
  sqs?.destroy();
  store?.client.destroy();
  await local?.stop();
});

/** A CLI context whose tasks, failed-task and dead-letter queues are fresh queues of this test. */
async function contextWithFreshQueues(): Promise<{ ctx: CliContext; tasksUrl: string; failedUrl: string }> {
  const settings = parseSettings({});
  const names = resourceNames(settings);
  const [tasks, failed, dlq] = await Promise.all(
    ["tasks", "failed", "dlq"].map((prefix) => createFreshQueue(local.sqsEndpoint, { prefix })),
  );
  const urls = new Map([
    [names.tasksQueue, tasks?.queueUrl],
    [names.failedQueue, failed?.queueUrl],
    [names.deadLetterQueue, dlq?.queueUrl],
  ]);
  const ctx: CliContext = {
    settings,
    names,
    sqs,
    // No nudge in these tests: the consumer is not invoked.
    lambda: {} as CliContext["lambda"],
    store,
    queueUrl: async (name) => {
      const url = urls.get(name);
      if (!url) throw new Error(`no queue ${name} in this test`);
      return url;
    },
    close() {},
  };
  return { ctx, tasksUrl: tasks?.queueUrl ?? "", failedUrl: failed?.queueUrl ?? "" };
}

/** Lambda's on-failure record of the event `requestId` that carried task `index`. */
function failureRecord(
  jobId: string,
  index: number,
  epoch: number,
  requestId: string,
  token?: string,
): string {
  return JSON.stringify({
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId,
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:fanout-worker:$LATEST",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: { ...makeTask(jobId, index, `task ${index}`, epoch), ...(token ? { token } : {}) },
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "Error", errorMessage: "boom" },
  });
}

async function redrive(ctx: CliContext, dryRun: boolean) {
  const { io, stdout } = testIo();
  await failedRedrive(ctx, io, { max: 100, dryRun, json: true, nudge: false });
  const report = JSON.parse(stdout.text()) as RedriveReport;
  return Object.fromEntries(report.records.map((r) => [r.taskId, r.action]));
}

/** Task ids of the messages in a queue (received once, left invisible). */
async function queuedTaskIds(queueUrl: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const got = await receiveMessages(sqs, queueUrl, { waitSeconds: 0, visibilityTimeoutSeconds: 600 });
    if (got.length === 0) return ids.sort();
    for (const m of got) {
      const task = parseTask(m.body);
      ids.push(`${task.jobId}#${task.index}`);
    }
  }
}

async function newJob(total: number) {
  const jobId = `redrive-${randomUUID()}`;
  const { epoch } = await recordJob(store, { jobId, contentHash: "h", total });
  return { jobId, epoch };
}

/** A v0.1.0 consumer's dispatch: claimed, then DISPATCHED with the event's request id (or none, before it). */
const claimAndDispatch = async (taskId: string, jobId: string, index: number, epoch: number, id?: string) => {
  await claimTask(store, { taskId, jobId, index, epoch, owner: "c", leaseSeconds: 60 });
  await markDispatchedAsV010(store, taskId, "c", id);
};

/** This release's dispatch: the claim, whose token the event carries. */
const claimWithToken = async (
  taskId: string,
  jobId: string,
  index: number,
  epoch: number,
  leaseSeconds = 60,
) => {
  const claim = await claimTask(store, { taskId, jobId, index, epoch, owner: "c", leaseSeconds });
  if (claim.outcome !== "claimed") throw new Error(claim.outcome);
  return claim.token;
};

describe("fanout failed redrive, by the state of the record's task", () => {
  it("requeues and sends a DISPATCHED task whose record has no dispatch id, instead of dropping it as dispatched again", async () => {
    const { ctx, tasksUrl, failedUrl } = await contextWithFreshQueues();
    const { jobId, epoch } = await newJob(1);
    const taskId = `${jobId}#0`;
    // Dispatched by a consumer of an earlier release, which recorded no dispatch id; the event then failed.
    await claimAndDispatch(taskId, jobId, 0, epoch);
    await sqs.send(
      new SendMessageCommand({ QueueUrl: failedUrl, MessageBody: failureRecord(jobId, 0, epoch, "req-0") }),
    );
    expect(await redrive(ctx, true)).toEqual({ [taskId]: "redriven" });
    expect(await redrive(ctx, false)).toEqual({ [taskId]: "redriven" });
    expect(await readTask(store, taskId)).toMatchObject({ status: "REQUEUED" });
    expect(await queuedTaskIds(tasksUrl)).toEqual([taskId]);
    expect(await queuedTaskIds(failedUrl)).toEqual([]);
  });

  it("a dry run reports for every record what the real run then does, a never-started dispatch included", async () => {
    const { ctx, tasksUrl, failedUrl } = await contextWithFreshQueues();
    const { jobId, epoch } = await newJob(6);
    const job = await readJob(store, jobId);
    const id = (i: number) => `${jobId}#${i}`;
    const run = { jobId, epoch, owner: "w" };
    // 0: its event (req-0) was dispatched and never started (aged out): the real run requeues it.
    await claimAndDispatch(id(0), jobId, 0, epoch, "req-0");
    // 1: dispatched again (req-1b) after the event of the record (req-1) failed: that dispatch will end it.
    await claimAndDispatch(id(1), jobId, 1, epoch, "req-1b");
    // 2: FAILED for good.
    await startRun(store, { ...run, taskId: id(2), index: 2 }, 60);
    await finishRun(
      store,
      { ...run, taskId: id(2), index: 2 },
      { status: "FAILED", error: { type: "Error", message: "boom" }, final: true },
    );
    // 3: SUCCEEDED since (run by hand).
    await startRun(store, { ...run, taskId: id(3), index: 3 }, 60);
    await finishRun(store, { ...run, taskId: id(3), index: 3 }, { status: "SUCCEEDED" });
    // 4: RUNNING under a live lease.
    await startRun(store, { ...run, taskId: id(4), index: 4 }, 600);
    // 5: DISPATCHED with no dispatch id on record.
    await claimAndDispatch(id(5), jobId, 5, epoch);
    const requestIds = ["req-0", "req-1", "req-2", "req-3", "req-4", "req-5"];
    for (const [i, requestId] of requestIds.entries()) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: failedUrl,
          MessageBody: failureRecord(jobId, i, epoch, requestId),
        }),
      );
    }
    const expected = {
      [id(0)]: "redriven",
      [id(1)]: "skipped",
      [id(2)]: "redriven",
      [id(3)]: "skipped",
      [id(4)]: "error",
      [id(5)]: "redriven",
    };
    expect(await redrive(ctx, true)).toEqual(expected);
    expect(await redrive(ctx, false)).toEqual(expected);
    expect(await queuedTaskIds(tasksUrl)).toEqual([id(0), id(2), id(5)].sort());
  });
});

describe("fanout failed redrive, of events that carry a dispatch token", () => {
  it("requeues a task whose failed event holds its claim's token and never started it; keeps one claimed again since", async () => {
    const { ctx, tasksUrl, failedUrl } = await contextWithFreshQueues();
    const { jobId, epoch } = await newJob(2);
    const id = (i: number) => `${jobId}#${i}`;
    // 0: claimed, its event failed every attempt before the worker's first write.
    const own = await claimWithToken(id(0), jobId, 0, epoch);
    // 1: the record's event came after its claim's lease ended (a lease that had ended when it was taken,
    // so no clock has to move), and the task was claimed again: the later claim's event will end it.
    const old = await claimWithToken(id(1), jobId, 1, epoch, -1);
    await claimWithToken(id(1), jobId, 1, epoch);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: failedUrl,
        MessageBody: failureRecord(jobId, 0, epoch, "req-0", own),
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: failedUrl,
        MessageBody: failureRecord(jobId, 1, epoch, "req-1", old),
      }),
    );
    const expected = { [id(0)]: "redriven", [id(1)]: "error" };
    expect(await redrive(ctx, true)).toEqual(expected);
    expect(await redrive(ctx, false)).toEqual(expected);
    expect(await queuedTaskIds(tasksUrl)).toEqual([id(0)]);
    expect(await readTask(store, id(1))).toMatchObject({ status: "CLAIMED" });
  });
});

describe("failed redrive, after a redrive that stopped midway", () => {
  it("exits 1 and says to run it again while a stopped redrive still holds a record in flight, then requeues it", async () => {
    const { ctx, tasksUrl, failedUrl } = await contextWithFreshQueues();
    const { jobId, epoch } = await newJob(1);
    const taskId = `${jobId}#0`;
    await claimAndDispatch(taskId, jobId, 0, epoch, "req-1");
    await sqs.send(
      new SendMessageCommand({ QueueUrl: failedUrl, MessageBody: failureRecord(jobId, 0, epoch, "req-1") }),
    );
    // A redrive that received the record (60 s visibility) and died before it deleted it.
    const held = await receiveMessages(sqs, failedUrl, { waitSeconds: 0, visibilityTimeoutSeconds: 60 });
    expect(held).toHaveLength(1);
    const { io, stdout, stderr } = testIo();
    const code = await failedRedrive(ctx, io, { max: 100, dryRun: false, json: true, nudge: false });
    // On the old code: exit 0, nothing redriven, and the task left for ever.
    expect({ code, inFlight: (JSON.parse(stdout.text()) as RedriveReport).inFlight }).toEqual({
      code: 1,
      inFlight: 1,
    });
    expect(stderr.text()).toMatch(/in flight .* run fanout failed redrive again/);
    // Once the record is back (here: given back at once), the next run requeues and sends the task.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: failedUrl,
        ReceiptHandle: held[0]?.receiptHandle ?? "",
        VisibilityTimeout: 0,
      }),
    );
    expect(await redrive(ctx, false)).toEqual({ [taskId]: "redriven" });
    expect(await queuedTaskIds(tasksUrl)).toEqual([taskId]);
  });

  it("exits 1 when a dead letter it read with a lost answer is visible again at its end, then sends it", async () => {
    const { ctx, tasksUrl } = await contextWithFreshQueues();
    const dlqUrl = await ctx.queueUrl(ctx.names.deadLetterQueue);
    const { jobId, epoch } = await newJob(1);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: JSON.stringify(makeTask(jobId, 0, "a", epoch)),
      }),
    );
    // The first read of the dead-letter queue takes its message but the answer is lost (the SDK's retry finds
    // the queue empty); by the end of the run the read's visibility timeout has ended (made 0 here).
    const losing = new SQSClient({
      region: local.region,
      credentials: localCredentials,
      endpoint: local.sqsEndpoint,
    });
    let lost = false;
    losing.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { QueueUrl?: string };
        const result = await next(args);
        if (context.commandName !== "ReceiveMessageCommand" || input.QueueUrl !== dlqUrl || lost)
          return result;
        lost = true;
        const taken = (result.output as { Messages?: { ReceiptHandle?: string }[] }).Messages ?? [];
        for (const m of taken)
          await sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: dlqUrl,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          );
        expect(taken).toHaveLength(1);
        const output: ReceiveMessageCommandOutput = {
          ...(result.output as ReceiveMessageCommandOutput),
          Messages: [],
        };
        return { ...result, output };
      },
      { step: "initialize" },
    );
    const { io, stdout, stderr } = testIo();
    const code = await failedRedrive({ ...ctx, sqs: losing }, io, {
      max: 100,
      dryRun: false,
      json: true,
      nudge: false,
    });
    losing.destroy();
    // On the old code: exit 0 with nothing sent, the task left in the DLQ and its job never finishing (seed 1091).
    expect({ code, remaining: (JSON.parse(stdout.text()) as RedriveReport).remaining }).toEqual({
      code: 1,
      remaining: 1,
    });
    expect(stderr.text()).toMatch(
      /1 record remains in .* came back after this run read past them\): run fanout failed redrive again/,
    );
    const { io: io2, stdout: out2 } = testIo();
    expect(await failedRedrive(ctx, io2, { max: 100, dryRun: false, json: true, nudge: false })).toBe(0);
    expect((JSON.parse(out2.text()) as RedriveReport).deadLetters).toEqual({ moved: 1, kept: 0, failed: 0 });
    expect(await queuedTaskIds(tasksUrl)).toEqual([`${jobId}#0`]);
  });

  it("exits 1 while a valid task it could not send back stays in the dead-letter queue, then sends it", async () => {
    const { ctx, tasksUrl } = await contextWithFreshQueues();
    const dlqUrl = await ctx.queueUrl(ctx.names.deadLetterQueue);
    const { jobId, epoch } = await newJob(1);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: JSON.stringify(makeTask(jobId, 0, "a", epoch)),
      }),
    );
    // SQS takes the batch but fails its entry (a partial failure, which the emulator cannot be made to give).
    const failing = new SQSClient({
      region: local.region,
      credentials: localCredentials,
      endpoint: local.sqsEndpoint,
    });
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { QueueUrl?: string; Entries?: { Id: string }[] };
        if (context.commandName === "SendMessageBatchCommand" && input.QueueUrl === tasksUrl)
          return {
            output: {
              $metadata: {},
              Successful: [],
              Failed: (input.Entries ?? []).map((e) => ({
                Id: e.Id,
                SenderFault: false,
                Code: "InternalError",
                Message: "down",
              })),
            },
            response: {},
          } as never;
        return next(args);
      },
      { step: "initialize" },
    );
    const { io, stdout, stderr } = testIo();
    const code = await failedRedrive({ ...ctx, sqs: failing }, io, {
      max: 100,
      dryRun: false,
      json: true,
      nudge: false,
    });
    failing.destroy();
    // On the old code: exit 0 ("0 valid tasks sent back"), the task left in the DLQ and its job never finishing.
    expect(code).toBe(1);
    expect((JSON.parse(stdout.text()) as RedriveReport).deadLetters).toEqual({
      moved: 0,
      kept: 0,
      failed: 1,
    });
    expect(stderr.text()).toMatch(
      /1 valid task in .* could not be sent back .* run fanout failed redrive again/,
    );
    // The next redrive, with SQS answering again, sends it.
    const { io: io2, stdout: out2 } = testIo();
    expect(await failedRedrive(ctx, io2, { max: 100, dryRun: false, json: true, nudge: false })).toBe(0);
    expect((JSON.parse(out2.text()) as RedriveReport).deadLetters).toEqual({ moved: 1, kept: 0, failed: 0 });
    expect(await queuedTaskIds(tasksUrl)).toEqual([`${jobId}#0`]);
  });
});
