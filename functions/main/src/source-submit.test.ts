import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  type ClientOptions,
  createLogger,
  InvalidJobError,
  type LambdaContext,
  parseTask,
  type Task,
} from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { clockedStore } from "@fanout/dedup/testing";
import { createFreshQueue, startLocalResources, waitUntil } from "@fanout/emulators";
import { createLambdaClient } from "@fanout/invoker";
import { createDynamoClient, createStore, readJob, takeEnqueueStep } from "@fanout/job-state";
import { createSqsClient, receiveMessages } from "@fanout/queue";
import { createS3Client, SourceChangedError } from "@fanout/source";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubmitDeps, SubmitResult } from "./deps.ts";
import { EnqueueBusyError } from "./errors.ts";
import { mainHandler } from "./main-handler.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
/** A Lambda endpoint that accepts every Event invoke (202) and keeps each one's function and payload. */
let lambda: Server;
const invokes: { fn: string; payload: string }[] = [];
beforeAll(async () => {
  lambda = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const fn = decodeURIComponent(/functions\/([^/]+)\/invocations/.exec(req.url ?? "")?.[1] ?? "");
      invokes.push({ fn, payload: Buffer.concat(chunks).toString() });
      res.writeHead(202, { "x-amzn-RequestId": `r-${invokes.length}` });
      res.end();
    });
  });
  await new Promise<void>((resolve) => lambda.listen(0, "127.0.0.1", resolve));
  local = await startLocalResources();
  Object.assign(process.env, local.env(`http://127.0.0.1:${(lambda.address() as AddressInfo).port}`));
}, 60_000);
afterAll(async () => {
  lambda.close();
  await local.stop();
});

const s3 = () => createS3Client();
let n = 0;

/**
 * A main over a fresh queue; `selfFunctionName` unique per test, so its hand-overs are told apart. Its store's
 * clock is the test's to move (`store.advance`): leases lapse without waiting.
 */
async function setup(options: { handoverMarginMs?: number } = {}) {
  n += 1;
  const { queueUrl } = await createFreshQueue(local.sqsEndpoint, { prefix: `src${n}` });
  const self = `main-${n}`;
  const store = clockedStore({ endpoint: local.dynamoEndpoint, tableName: local.resources.tableName });
  const deps: SubmitDeps = {
    sqs: createSqsClient(),
    store,
    tasksQueueUrl: queueUrl,
    logger: createLogger("main-test"),
    maxTasks: 100,
    source: {
      s3: s3(),
      bucket: local.resources.inputBucket,
      lambda: createLambdaClient(),
      selfFunctionName: self,
      ...(options.handoverMarginMs === undefined ? {} : { handoverMarginMs: options.handoverMarginMs }),
    },
  };
  return { deps, handler: mainHandler(deps), self, store };
}

/**
 * An SQS client in a process that froze (then died): its requests never get an answer until `die()`, which
 * fails them. A process death is a fault no server can produce, so it is made below the SDK.
 */
function frozenSqs() {
  const hung: ((error: Error) => void)[] = [];
  let dead = false;
  const requestHandler = {
    handle: () =>
      new Promise((_, reject) => (dead ? reject(new Error("the process died")) : hung.push(reject))),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  } as unknown as ClientOptions["requestHandler"];
  return {
    sqs: createSqsClient({ maxAttempts: 1, ...(requestHandler ? { requestHandler } : {}) }),
    die: () => {
      dead = true;
      for (const reject of hung.splice(0)) reject(new Error("the process died"));
    },
  };
}

async function upload(key: string, body: string) {
  await s3().send(new PutObjectCommand({ Bucket: local.resources.inputBucket, Key: key, Body: body }));
  return `s3://${local.resources.inputBucket}/${key}`;
}

async function drainQueue(deps: SubmitDeps): Promise<Task[]> {
  const tasks: Task[] = [];
  for (;;) {
    const got = await receiveMessages(deps.sqs, deps.tasksQueueUrl, {
      waitSeconds: 0,
      visibilityTimeoutSeconds: 600,
    });
    if (got.length === 0) return tasks;
    tasks.push(...got.map((m) => parseTask(m.body)));
  }
}

/** A context whose time runs short once a step has sent `chunks` chunks (it looks after each): forces hand-overs. */
function shortContext(chunks: number): LambdaContext {
  let reads = 0;
  return { ...testContext(), getRemainingTimeInMillis: () => (++reads < chunks ? 60_000 : 1_000) };
}

const lines = (count: number, line: (i: number) => string) =>
  `${Array.from({ length: count }, (_, i) => line(i)).join("\n")}\n`;

/**
 * An SQS client whose SendMessageBatch requests wait for `gateOf(first task index in the batch)` before they
 * go to the emulator: a test holds a step's chunks to look at the step between them.
 */
function gatedSqs(gateOf: (firstIndex: number) => Promise<void>) {
  const inner = createSqsClient().config.requestHandler as unknown as {
    handle(request: unknown, options?: unknown): Promise<unknown>;
  };
  const requestHandler = {
    handle: async (request: { body?: unknown }, options?: unknown) => {
      await gateOf(Number(/"Id":"(\d+)"/.exec(String(request.body ?? ""))?.[1] ?? -1));
      return inner.handle(request, options);
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  } as unknown as ClientOptions["requestHandler"];
  return createSqsClient({ maxAttempts: 1, ...(requestHandler ? { requestHandler } : {}) });
}

/**
 * A DynamoDB client whose first request matching `lose` takes effect on the emulator, then fails as a
 * reset connection would (its answer lost): the SDK retries it. Losing an answer is a fault no server makes.
 */
function answerLosingDynamo(lose: (body: string) => boolean) {
  const inner = createDynamoClient().config.requestHandler as unknown as {
    handle(request: unknown, options?: unknown): Promise<unknown>;
  };
  let lost = 0;
  const requestHandler = {
    handle: async (request: { body?: unknown }, options?: unknown) => {
      const answer = await inner.handle(request, options);
      if (lost === 0 && lose(String(request.body ?? ""))) {
        lost += 1;
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      }
      return answer;
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  } as unknown as ClientOptions["requestHandler"];
  return { client: createDynamoClient(requestHandler ? { requestHandler } : {}), lost: () => lost };
}

/** A promise the test settles by hand. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("source jobs", () => {
  it("enqueues every task of a JSON Lines source once, as names, and records the job with the object's ETag", async () => {
    const { deps, handler } = await setup();
    const source = await upload(
      "seed.jsonl",
      lines(1_234, (i) => JSON.stringify({ name: `Name${i}` })),
    );
    const result = await handler({ jobId: "src-lines", source }, testContext());
    expect(result).toMatchObject({
      jobId: "src-lines",
      tasks: 1_234,
      created: true,
      enqueued: 1_234,
      handedOver: false,
    });
    const tasks = await drainQueue(deps);
    expect(tasks.map((t) => t.index).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 1_234 }, (_, i) => i),
    );
    expect(tasks.every((t) => t.v === 1 && t.name === `Name${t.index}`)).toBe(true);
    const job = await readJob(deps.store, "src-lines");
    expect(job).toMatchObject({
      total: 1_234,
      source: { url: source, format: "names", layout: "lines" },
      enqueue: { to: 1_234 },
    });
    expect(job?.source?.etag).toMatch(/^"/);
  });

  it("reads a .json source as one array of tasks-format tasks (v2 messages)", async () => {
    const { deps, handler } = await setup();
    const values = [{ a: 1 }, [1, "x,]"], "plain", null, 42];
    const source = await upload("values.json", JSON.stringify(values, null, 2));
    const result = await handler({ source }, testContext());
    expect(result).toMatchObject({ tasks: 5, enqueued: 5 });
    expect(result.jobId).toMatch(/^j-/);
    const tasks = (await drainQueue(deps)).sort((a, b) => a.index - b.index);
    expect(tasks.map((t) => (t.v === 2 ? t.payload : undefined))).toEqual(values);
  });

  it("refuses a source with bad lines, naming the first 100 by line number and counting the rest, and enqueues nothing", async () => {
    const { deps, handler } = await setup();
    const source = await upload(
      "bad.jsonl",
      lines(300, (i) => (i % 2 === 1 ? `{"name": ""}` : JSON.stringify({ name: `N${i}` }))),
    );
    const error = await handler({ jobId: "src-bad", source }, testContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobError);
    const issues = (error as InvalidJobError).issues;
    expect(issues).toHaveLength(101);
    expect(issues[0]).toEqual({ path: "line 2", reason: "name: name must not be empty" });
    expect(issues[99]?.path).toBe("line 200");
    expect(issues[100]).toEqual({
      path: "source",
      reason: "150 bad records in all; the first 100 are listed",
    });
    expect(await drainQueue(deps)).toEqual([]);
    expect(await readJob(deps.store, "src-bad")).toBeUndefined();
  });

  it("refuses a source outside the input bucket, a missing object and an array that never ends, enqueueing nothing", async () => {
    const { deps, handler } = await setup();
    const reasons = async (event: unknown) =>
      ((await handler(event, testContext()).catch((e: unknown) => e)) as InvalidJobError).issues.map(
        (i) => i.reason,
      );
    expect(await reasons({ source: "s3://other-bucket/a.jsonl" })).toEqual([
      `source must be in the input bucket s3://${local.resources.inputBucket}/ (got s3://other-bucket/)`,
    ]);
    expect(await reasons({ source: `s3://${local.resources.inputBucket}/missing.jsonl` })).toEqual([
      `no object at s3://${local.resources.inputBucket}/missing.jsonl (or this function may not read it)`,
    ]);
    expect(await reasons({ source: await upload("open.json", "[1, 2") })).toEqual([
      "the JSON array does not end (no closing ])",
    ]);
    expect(await drainQueue(deps)).toEqual([]);
  });

  it("hands the rest over when its time runs short; the steps, each delivered twice, enqueue every task exactly once", async () => {
    const { deps, handler, self } = await setup({ handoverMarginMs: 10_000 });
    const total = 2_345;
    const source = await upload(
      "chain.jsonl",
      lines(total, (i) => JSON.stringify({ i })),
    );
    const first = await handler({ jobId: "src-chain", source }, shortContext(1));
    expect(first).toMatchObject({ tasks: total, created: true, handedOver: true, enqueued: 500 });
    // Run each hand-over as Lambda would, twice (async delivery is at-least-once), until the job is in.
    let steps = 0;
    for (let seen = 0; ; ) {
      const next = invokes.filter((i) => i.fn === self).slice(seen);
      if (next.length === 0) break;
      seen += next.length;
      for (const invoke of next) {
        steps += 1;
        const event = JSON.parse(invoke.payload);
        await handler(event, shortContext(1));
        await handler(event, shortContext(1));
      }
    }
    expect(steps).toBe(4); // 500 tasks a step: 500, 1000, 1500, 2000, 2345
    const tasks = await drainQueue(deps);
    expect(tasks).toHaveLength(total);
    expect(new Set(tasks.map((t) => t.index)).size).toBe(total);
    expect((await readJob(deps.store, "src-chain"))?.enqueue).toMatchObject({
      to: total,
      handedOverTo: 2_000,
    });
  });

  it("hands the rest over when its commit took effect but the answer was lost (the SDK's retry is refused)", async () => {
    const { deps, self } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "lost-commit.jsonl",
      lines(1_200, (i) => JSON.stringify({ i })),
    );
    const lossy = answerLosingDynamo((body) => body.includes("SET enqueuedTo = :to"));
    const store = createStore({ tableName: deps.store.tableName, ttlSeconds: 86_400, client: lossy.client });
    const handler = mainHandler({ ...deps, store });
    const first = await handler({ jobId: "src-lost-commit", source }, shortContext(1));
    expect(lossy.lost()).toBe(1);
    // Before: the refused retry read as "another step took over", nothing was handed over, 700 tasks stranded.
    expect(first).toMatchObject({ tasks: 1_200, handedOver: true, enqueued: 500 });
    const handover = invokes.filter((i) => i.fn === self).at(-1);
    await handler(JSON.parse(handover?.payload ?? "{}"), testContext());
    const tasks = await drainQueue(deps);
    expect(new Set(tasks.map((t) => t.index)).size).toBe(1_200);
    expect((await readJob(deps.store, "src-lost-commit"))?.enqueue?.to).toBe(1_200);
  });

  it("sends every task again on a resubmission whose restart took effect but lost its answer", async () => {
    const { deps } = await setup();
    const source = await upload(
      "lost-restart.jsonl",
      lines(30, (i) => JSON.stringify({ i })),
    );
    await mainHandler(deps)({ jobId: "src-lost-restart", source }, testContext());
    expect(await drainQueue(deps)).toHaveLength(30);
    // The resubmission's restart (progress back to 0) takes effect; its answer is lost and the SDK's retry
    // is refused (the job is no longer enqueued in full). Before: read as "someone else restarted it",
    // nothing was sent, and the record was left restarted with no step.
    const lossy = answerLosingDynamo((body) => body.includes("SET enqueuedTo = :zero"));
    const store = createStore({ tableName: deps.store.tableName, ttlSeconds: 86_400, client: lossy.client });
    const again = await mainHandler({ ...deps, store })({ jobId: "src-lost-restart", source }, testContext());
    expect(lossy.lost()).toBe(1);
    expect(again).toMatchObject({ created: false, enqueued: 30 });
    expect(new Set((await drainQueue(deps)).map((t) => t.index)).size).toBe(30);
  });

  it("takes over a step that died holding the lease once the lease ends, and re-sends only from the last commit", async () => {
    const { deps, handler, self } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "dead.jsonl",
      lines(1_200, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-dead", source }, shortContext(1));
    const handover = invokes.filter((i) => i.fn === self).at(-1);
    const event = JSON.parse(handover?.payload ?? "{}");
    // A step took the lease for tasks 500.. and died (a 1 ms lease, long gone by the time the retry comes).
    const taken = await takeEnqueueStep(deps.store, "src-dead", 500, "dead-step", 1);
    expect(taken.taken).toBe(true);
    await waitUntil(
      "the dead step's lease ended",
      async () => ((await readJob(deps.store, "src-dead"))?.enqueue?.leaseUntil ?? 0) < Date.now(),
    );
    const retried = await handler(event, testContext());
    expect(retried).toMatchObject({ enqueued: 1_200, handedOver: false });
    const tasks = await drainQueue(deps);
    expect(tasks).toHaveLength(1_200);
    expect(new Set(tasks.map((t) => t.index)).size).toBe(1_200);
  });

  it("fails a continuation while a step that died holds the job's lease, so Lambda retries it; a retry after the lease lapsed (a minute, not the dead step's whole time) enqueues the rest, each task once", async () => {
    const { deps, handler, self, store } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "died-early.jsonl",
      lines(1_200, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-died-early", source }, shortContext(1));
    const event = JSON.parse(invokes.filter((i) => i.fn === self).at(-1)?.payload ?? "{}");
    // The continuation for tasks 500.. starts with 15 minutes before its timeout, takes the lease, and
    // freezes: its sends never return, so it neither renews the lease nor commits.
    const frozen = frozenSqs();
    const dying = mainHandler({ ...deps, sqs: frozen.sqs })(event, testContext({ budgetMs: 900_000 }));
    const outcome = dying.then(
      () => "returned",
      (error: unknown) => String(error),
    );
    await waitUntil(
      "the frozen step holds the lease",
      async () => (await readJob(deps.store, "src-died-early"))?.enqueue?.owner,
      { timeoutMs: 60_000 },
    );
    // Lambda's retry while the lease lives: it must fail, or Lambda counts the event done and never retries.
    await expect(handler(event, testContext())).rejects.toBeInstanceOf(EnqueueBusyError);
    // A minute later the lease has lapsed (the frozen step renewed nothing), and the next retry takes over.
    store.advance(61_000);
    expect(await handler(event, testContext())).toMatchObject({ enqueued: 1_200, handedOver: false });
    frozen.die();
    expect(await outcome).toMatch(/died/);
    const tasks = await drainQueue(deps);
    expect(tasks).toHaveLength(1_200);
    expect(new Set(tasks.map((t) => t.index)).size).toBe(1_200);
    expect((await readJob(deps.store, "src-died-early"))?.enqueue).toMatchObject({ to: 1_200 });
  }, 120_000);

  it("keeps a live step's lease as its chunks go out, so a retry meanwhile fails busy instead of sending the same tasks again", async () => {
    const { deps, handler, self, store } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "renewed.jsonl",
      lines(3_500, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-renewed", source }, shortContext(1));
    const event = JSON.parse(invokes.filter((i) => i.fn === self).at(-1)?.payload ?? "{}");
    // The continuation sends tasks 500..3499 in six chunks, four in flight: chunks 1-4 (tasks below 2500)
    // wait for `first`, so that the step reads chunk 5 only once they are through; chunks 5-6 wait for `last`.
    const first = gate();
    const last = gate();
    let held = 0;
    const sqs = gatedSqs((index) => {
      held += 1;
      return index < 2_500 ? first.opened : last.opened;
    });
    const running = mainHandler({ ...deps, sqs })(event, testContext({ budgetMs: 900_000 }));
    const takenAt = await waitUntil(
      "the step holds the lease and its first chunks wait",
      async () => held > 0 && (await readJob(deps.store, "src-renewed"))?.enqueue?.leaseUntil,
      { timeoutMs: 60_000 },
    );
    // 50 s pass while chunks 1-4 are sent: the step renews its lease after the next chunk goes out.
    store.advance(50_000);
    first.open();
    await waitUntil(
      "the step renewed its lease",
      async () => ((await readJob(deps.store, "src-renewed"))?.enqueue?.leaseUntil ?? 0) > takenAt,
      { timeoutMs: 60_000 },
    );
    // Past the lease the step first took: Lambda's retry of its event finds the renewed lease and fails.
    store.advance(30_000);
    await expect(handler(event, testContext())).rejects.toBeInstanceOf(EnqueueBusyError);
    last.open();
    expect(await running).toMatchObject({ enqueued: 3_500, handedOver: false });
    const tasks = await drainQueue(deps);
    expect(tasks).toHaveLength(3_500);
    expect(new Set(tasks.map((t) => t.index)).size).toBe(3_500);
  }, 120_000);

  it("stops a step whose lease another step took over while its chunks were out, without committing; the taker enqueues the rest", async () => {
    const { deps, handler, self, store } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "taken.jsonl",
      lines(3_500, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-taken", source }, shortContext(1));
    const event = JSON.parse(invokes.filter((i) => i.fn === self).at(-1)?.payload ?? "{}");
    const first = gate();
    let held = 0;
    const sqs = gatedSqs(() => {
      held += 1;
      return first.opened;
    });
    const stalled = mainHandler({ ...deps, sqs })(event, testContext({ budgetMs: 900_000 }));
    await waitUntil(
      "the step holds the lease and its first chunks wait",
      async () => held > 0 && (await readJob(deps.store, "src-taken"))?.enqueue?.leaseUntil,
      { timeoutMs: 60_000 },
    );
    // Its lease lapses while its sends hang; Lambda's retry of the event takes the step over and finishes it.
    store.advance(61_000);
    expect(await handler(event, testContext({ budgetMs: 900_000 }))).toMatchObject({ enqueued: 3_500 });
    first.open();
    // The stalled step's renewal is refused: it stops, commits nothing, and says another step has the job.
    expect(await stalled).toMatchObject({ enqueued: 3_500, handedOver: false, inProgress: true });
    expect((await readJob(deps.store, "src-taken"))?.enqueue).toMatchObject({ to: 3_500 });
    expect(new Set((await drainQueue(deps)).map((t) => t.index)).size).toBe(3_500);
  }, 120_000);

  it("refuses a resubmission (EnqueueBusyError) while another submission holds the lease, which no retry would replace if it died", async () => {
    const { deps, handler, store } = await setup();
    const source = await upload(
      "sync-held.jsonl",
      lines(40, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-sync-held", source }, testContext());
    await drainQueue(deps);
    // Resubmitted after the full enqueue: a first resubmission's step takes the lease and dies.
    expect((await takeEnqueueStep(deps.store, "src-sync-held", 40, "submit/dead-call", 60_000)).taken).toBe(
      true,
    );
    const busy = await handler({ jobId: "src-sync-held", source }, testContext()).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(EnqueueBusyError);
    expect(await drainQueue(deps)).toEqual([]);
    // Submitted again after that lease lapsed: sent again in full.
    store.advance(61_000);
    expect(await handler({ jobId: "src-sync-held", source }, testContext())).toMatchObject({ enqueued: 40 });
    expect(await drainQueue(deps)).toHaveLength(40);
  });

  it("sends every task again when a fully enqueued source job is resubmitted", async () => {
    const { deps, handler } = await setup();
    const source = await upload(
      "again.jsonl",
      lines(30, (i) => JSON.stringify({ name: `A${i}` })),
    );
    await handler({ jobId: "src-again", source }, testContext());
    expect(await drainQueue(deps)).toHaveLength(30);
    const again = await handler({ jobId: "src-again", source }, testContext());
    expect(again).toMatchObject({ created: false, enqueued: 30 });
    expect(await drainQueue(deps)).toHaveLength(30);
  });

  it("sends nothing for a resubmission while a live step holds the lease", async () => {
    const { deps, handler } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "busy.jsonl",
      lines(800, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-busy", source }, shortContext(1));
    expect(await drainQueue(deps)).toHaveLength(500);
    // The handed-over step (a continuation, which Lambda retries if it dies) runs when the caller submits again.
    expect((await takeEnqueueStep(deps.store, "src-busy", 500, "continue/live-step", 60_000)).taken).toBe(
      true,
    );
    const busy = await handler({ jobId: "src-busy", source }, testContext());
    expect(busy).toMatchObject({ created: false, enqueued: 500, inProgress: true });
    expect(await drainQueue(deps)).toEqual([]);
  });

  it("fails a step whose source was replaced after validation, sending none of the new object's tasks", async () => {
    const { deps, handler, self } = await setup({ handoverMarginMs: 10_000 });
    const source = await upload(
      "replaced.jsonl",
      lines(800, (i) => JSON.stringify({ i })),
    );
    await handler({ jobId: "src-replaced", source }, shortContext(1));
    expect(await drainQueue(deps)).toHaveLength(500);
    await upload(
      "replaced.jsonl",
      lines(800, (i) => JSON.stringify({ other: i })),
    );
    const event = JSON.parse(invokes.filter((i) => i.fn === self).at(-1)?.payload ?? "{}");
    await expect(handler(event, testContext())).rejects.toBeInstanceOf(SourceChangedError);
    expect(await drainQueue(deps)).toEqual([]);
    expect((await readJob(deps.store, "src-replaced"))?.enqueue).toMatchObject({
      to: 500,
      handedOverTo: 500,
    });
  });
});

export type { SubmitResult };
