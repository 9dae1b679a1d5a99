import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { makeTask } from "@fanout/core";
import { finishRun, readTask, requeueTask, startRun } from "@fanout/dedup";
import { waitUntil } from "@fanout/emulators";
import { readJobStatus, recordJob } from "@fanout/job-state";
import { startTestStack, type TestStack } from "@fanout/local-stack/testing";
import { queueDepth } from "@fanout/queue";
import type { SettingsInput } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/program.ts";
import { runBin, testIo } from "../src/testing.ts";

/**
 * The CLI against a whole local stack (built zips behind the Lambda Invoke API, SQS and DynamoDB
 * emulators): the binary in a child process whose environment is only the stack's standard AWS settings.
 */
const settings: SettingsInput = { name_prefix: "cli-e2e" };
let stack: TestStack;
let dir: string;
let settingsFile: string;

beforeAll(async () => {
  // local-lambda multiplies its async retry delays (1 and 2 min) by `speed`, while startTestStack's default
  // (1000) means "1000x faster" (the scheduler divides by it): pass the factor local-lambda expects.
  stack = await startTestStack(settings);
  dir = mkdtempSync(join(tmpdir(), "fanout-cli-e2e-"));
  settingsFile = join(dir, "settings.json");
  writeFileSync(settingsFile, JSON.stringify(settings));
}, 60_000);
afterAll(() => stack?.stop());

/** `fanout <args> --settings <the stack's settings>` as a child process. */
function fanout(args: string[], input = "") {
  return runBin([...args, "--settings", settingsFile], stack.env, input);
}

/** The same, in-process (faster; process.env already points at the stack). */
async function fanoutHere(args: string[], options: { tty?: boolean; signal?: AbortSignal } = {}) {
  const { io, stdout, stderr } = testIo("", options);
  const code = await run([...args, "--settings", settingsFile], io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function jobFile(job: unknown): string {
  const file = join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(job));
  return file;
}

async function tasksQueueDepth() {
  const d = await queueDepth(stack.sqs, stack.resources.tasksQueueUrl);
  return d.visible + d.inFlight + d.delayed;
}

function runsOf(jobId: string): Map<string, number> {
  const runs = new Map<string, number>();
  for (const r of stack.workerRuns()) {
    if (r.taskId.startsWith(`${jobId}#`)) runs.set(r.taskId, (runs.get(r.taskId) ?? 0) + 1);
  }
  return runs;
}

describe("fanout CLI against the local stack", () => {
  it("submits a job from a file, and status --json shows every task succeeded", async () => {
    const names = ["Name1", "Name2", 'quote " and\nnewline', "🎉"];
    const file = jobFile({ jobId: "cli-ok", names: names.map((name) => ({ name })) });
    const submitted = await fanout(["submit", file]);
    expect(submitted).toMatchObject({ code: 0, stderr: "" });
    expect(submitted.stdout).toBe("submitted job cli-ok: 4 tasks\n");
    await stack.waitForJob("cli-ok");
    const status = await fanout(["status", "cli-ok", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      jobId: "cli-ok",
      total: 4,
      succeeded: 4,
      failed: 0,
      pending: 0,
      percent: 100,
      done: true,
    });
    await stack.lambda.idle();
    expect([...runsOf("cli-ok").values()]).toEqual([1, 1, 1, 1]);
  });

  it("submit - --watch reads stdin, follows the job with plain lines off a terminal, and exits 0", async () => {
    const job = { jobId: "cli-watch", names: [{ name: "a" }, { name: "b" }] };
    const out = await fanout(
      ["submit", "-", "--watch", "--interval", "0.2", "--timeout", "30"],
      JSON.stringify(job),
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^submitted job cli-watch: 2 tasks\n/);
    expect(out.stdout).toMatch(
      /cli-watch: 2\/2 \(100%\) succeeded=2 failed=0 retrying=0 running=0 cancelled=0 pending=0 state=succeeded/,
    );
    expect(out.stdout).toMatch(/^done +yes$/m);
    expect(out.stdout).toMatch(/^state +succeeded$/m);
    expect(out.stdout.includes("\u001b[")).toBe(false);
  });

  it("draws a progress bar when the output is a terminal", async () => {
    const out = await fanoutHere(["status", "cli-watch", "--watch", "--interval", "0.1"], { tty: true });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/100% \| 2\/2 \| succeeded 2 \| failed 0 .*\| succeeded/);
  });

  it("status --watch gives up after --timeout with exit 1, and stops with exit 130 when interrupted", async () => {
    // A job whose task was never enqueued: it stays pending.
    await recordJob(stack.store, { jobId: "cli-stuck", contentHash: "h", total: 1 });
    const timedOut = await fanoutHere([
      "status",
      "cli-stuck",
      "--watch",
      "--interval",
      "0.1",
      "--timeout",
      "0.5",
    ]);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toBe("fanout: job cli-stuck not done after 0.5 s (1 pending)\n");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const interrupted = await fanoutHere(["status", "cli-stuck", "--watch", "--interval", "10"], {
      signal: controller.signal,
    });
    expect(interrupted.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(interrupted.stdout).toMatch(/pending +1/);
  });

  it("rejects an invalid job with every bad index, exit 1, and enqueues nothing", async () => {
    const before = { dispatches: stack.dispatches(), depth: await tasksQueueDepth() };
    const file = jobFile({ jobId: "cli-bad", names: [{ name: "ok" }, { name: 7 }, {}, { name: "" }] });
    const out = await fanout(["submit", file]);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr.split("\n")).toEqual([
      "fanout: invalid job: 3 bad entries (3 problems); nothing was sent",
      "  names[1]: name must be a string",
      "  names[2]: name is missing",
      "  names[3]: name must not be empty",
      "",
    ]);
    await stack.lambda.idle();
    expect({ dispatches: stack.dispatches(), depth: await tasksQueueDepth() }).toEqual(before);
    const status = await fanout(["status", "cli-bad"]);
    expect(status).toMatchObject({
      code: 1,
      stderr: "fanout: job cli-bad not found in table cli-e2e-dedup\n",
    });
  });

  it("submits a .jsonl tasks source: uploaded under its sha256, enqueued by main from S3, every task succeeds", async () => {
    const file = join(dir, "source.jsonl");
    writeFileSync(file, `${Array.from({ length: 25 }, (_, n) => JSON.stringify({ n })).join("\n")}\n`);
    const key = /s3:\/\/cli-e2e-input\/uploads\/[0-9a-f]{64}\.jsonl/.source;
    const args = ["submit", file, "--job-id", "cli-source", "--max-concurrency", "5"];
    const out = await fanout(args);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(new RegExp(`^uploaded .*source\\.jsonl \\(\\d+ B, 25 tasks\\) to ${key}\n$`));
    expect(out.stdout).toMatch(
      new RegExp(`^submitted job cli-source: 25 tasks from ${key} \\(maxConcurrency 5\\)\n$`),
    );
    expect(await stack.waitForJob("cli-source")).toMatchObject({ total: 25, succeeded: 25, failed: 0 });
    const results = await fanout(["results", "cli-source"]);
    expect(
      results.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual(
      Array.from({ length: 25 }, (_, n) => ({ index: n, status: "succeeded", result: { received: { n } } })),
    );
    // The same file again: the same key (not uploaded twice) and the same job.
    const again = await fanout(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/is already in s3:\/\/cli-e2e-input\/uploads\/.*: not uploaded again\n$/);
    expect(again.stdout).toMatch(
      /^submitted job cli-source: 25 tasks from .*\(already submitted: each task still runs once\)\n$/,
    );
  });

  it("reports main's refusal of a source outside its input bucket as one line, exit 1", async () => {
    const out = await fanout(["submit", "--source", "s3://elsewhere/tasks.jsonl"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^fanout: cli-e2e-main refused the job: InvalidJobError: .*source must be in the input bucket s3:\/\/cli-e2e-input\/.*\n$/,
    );
  });

  it("reports main's JobConflictError for a reused jobId with other content as one line, exit 1", async () => {
    const out = await fanout(
      ["submit", "-"],
      JSON.stringify({ jobId: "cli-ok", names: [{ name: "other" }] }),
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      "fanout: cli-e2e-main refused the job: JobConflictError: job cli-ok already exists with different content; use a new jobId\n",
    );
  });

  it("takes worker failures through retries to the failed queue, lists them, and redrives them to success", async () => {
    const retries = stack.settings.worker_async.maximum_retry_attempts;
    const jobId = "cli-fail";
    stack.setWorkerEnvironment({ WORKER_FAIL_RATE: "1" });
    let fixed = false;
    try {
      const names = ["f0", "f1 with a name much longer than the list column shows\nand a newline", "f2"];
      expect(
        (await fanout(["submit", jobFile({ jobId, names: names.map((name) => ({ name })) })])).code,
      ).toBe(0);

      // status --watch ends when every task is final and exits 1 because tasks failed.
      const watched = await fanout([
        "status",
        jobId,
        "--watch",
        "--json",
        "--interval",
        "0.2",
        "--timeout",
        "40",
      ]);
      expect(watched.code).toBe(1);
      expect(JSON.parse(watched.stdout)).toMatchObject({
        jobId,
        state: "failed",
        total: 3,
        succeeded: 0,
        failed: 3,
        done: true,
      });
      expect(watched.stderr).toMatch(/job cli-fail failed: it finished with 3 failed tasks/);

      // Lambda's async retries run out; each event ends in the on-failure destination.
      await stack.lambda.idle();
      const listed = await fanout(["failed", "list", "--json"]);
      expect(listed.code).toBe(0);
      const records = (JSON.parse(listed.stdout) as Record<string, unknown>[]).filter(
        (r) => r.jobId === jobId,
      );
      expect(records.map((r) => r.taskId).sort()).toEqual([`${jobId}#0`, `${jobId}#1`, `${jobId}#2`]);
      for (const r of records) {
        expect(r).toMatchObject({
          errorType: "Error",
          errorMessage: expect.stringMatching(/simulated failure/),
          condition: "RetriesExhausted",
          approximateInvokeCount: retries + 1,
          problem: null,
        });
      }
      // The human table: one line per record, the name truncated and its newline escaped.
      const table = await fanoutHere(["failed", "list"]);
      expect(table.stdout).toMatch(/^TASK ID +JOB ID +NAME\/PAYLOAD +ERROR +CONDITION +INVOKES\n/);
      expect(table.stdout).toMatch(
        /cli-fail#1 +cli-fail +f1 with a name much lon… +Error: simulated failure/,
      );
      expect(table.stdout.split("\n").filter((l) => l.startsWith("cli-fail#"))).toHaveLength(3);
      // Listing did not consume: the records are still there, and the job still counts 3 failed.
      expect(JSON.parse((await fanoutHere(["failed", "list", "--json"])).stdout)).toHaveLength(3);
      expect(JSON.parse((await fanoutHere(["status", jobId, "--json"])).stdout)).toMatchObject({ failed: 3 });

      // A dry run changes nothing.
      const dry = await fanoutHere(["failed", "redrive", "--dry-run", "--json"]);
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({
        dryRun: true,
        redriven: 3,
        skipped: 0,
        errors: 0,
        nudged: false,
      });
      expect(await readTask(stack.store, `${jobId}#0`)).toMatchObject({ status: "FAILED" });
      expect(JSON.parse((await fanoutHere(["failed", "list", "--json"])).stdout)).toHaveLength(3);

      stack.setWorkerEnvironment({});
      fixed = true;
      // Task 0 is run by hand and succeeds: redrive must skip it, not run it again. A task carries its job's
      // incarnation (epoch), as main wrote it.
      const { epoch } = await readJobStatus(stack.store, jobId);
      const byHand = await fanout(["invoke", "worker", JSON.stringify(makeTask(jobId, 0, "f0", epoch))]);
      expect(byHand.code).toBe(0);
      expect(JSON.parse(byHand.stdout)).toMatchObject({ taskId: `${jobId}#0`, status: "SUCCEEDED" });
      // Task 1 as a redrive that died right after step 1 (FAILED → REQUEUED) left it: it must still be sent.
      expect(await requeueTask(stack.store, { taskId: `${jobId}#1`, jobId, index: 1, epoch })).toBe(true);

      const redrive = await fanout(["failed", "redrive", "--json"]);
      expect(redrive.code).toBe(0);
      const report = JSON.parse(redrive.stdout) as { records: { taskId: string; action: string }[] };
      expect(report).toMatchObject({ dryRun: false, redriven: 2, skipped: 1, errors: 0, nudged: true });
      expect(Object.fromEntries(report.records.map((r) => [r.taskId, r.action]))).toEqual({
        [`${jobId}#0`]: "skipped",
        [`${jobId}#1`]: "redriven",
        [`${jobId}#2`]: "redriven",
      });

      const done = await fanout([
        "status",
        jobId,
        "--watch",
        "--json",
        "--interval",
        "0.2",
        "--timeout",
        "40",
      ]);
      // The job was recorded failed when it first finished (its notice went out then, once); its tasks
      // all succeed now, so the watch exits 0 and says so.
      expect(done.code).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({
        state: "failed",
        total: 3,
        succeeded: 3,
        failed: 0,
        pending: 0,
        done: true,
      });
      expect(done.stderr).toMatch(
        /job cli-fail was recorded failed when it finished; redriven since, 0 tasks failed now/,
      );
      await stack.lambda.idle();
      // Every task ran 1 + retries times failing, then exactly once more (by hand or redriven).
      expect(Object.fromEntries(runsOf(jobId))).toEqual({
        [`${jobId}#0`]: retries + 2,
        [`${jobId}#1`]: retries + 2,
        [`${jobId}#2`]: retries + 2,
      });
      expect(JSON.parse((await fanoutHere(["failed", "list", "--json"])).stdout)).toEqual([]);
      const again = await fanoutHere(["failed", "redrive"]);
      expect(again).toMatchObject({ code: 0, stdout: "redriven 0, skipped 0, errors 0\n" });
    } finally {
      if (!fixed) stack.setWorkerEnvironment({});
    }
  });

  it("redrive repairs the count of a task that succeeded while its counter write was lost, and drops the record", async () => {
    const jobId = "cli-uncounted";
    const { epoch } = await recordJob(stack.store, { jobId, contentHash: "h", total: 1 });
    const run = { taskId: `${jobId}#0`, jobId, index: 0, owner: "w", epoch };
    await startRun(stack.store, run, 60);
    await finishRun(stack.store, run, { status: "SUCCEEDED" });
    // The fault: the counter write of the last attempt never happened (removed here, as if it failed).
    await stack.store.client.send(
      new UpdateItemCommand({
        TableName: stack.store.tableName,
        Key: { pk: { S: `JOB#${jobId}#E${epoch}#S#0` } },
        UpdateExpression: "DELETE ok :i",
        ExpressionAttributeValues: { ":i": { NS: ["0"] } },
      }),
    );
    expect(JSON.parse((await fanoutHere(["status", jobId, "--json"])).stdout)).toMatchObject({
      succeeded: 0,
      done: false,
    });
    // Lambda sent the event to the failed-task queue (the worker threw after the lost counter write).
    await stack.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.resources.failedQueueUrl,
        MessageBody: JSON.stringify({
          version: "1.0",
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId: "req-uncounted",
            functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${stack.names.workerFunction}:$LATEST`,
            condition: "RetriesExhausted",
            approximateInvokeCount: 3,
          },
          requestPayload: makeTask(jobId, 0, "counted late", epoch),
          responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
          responsePayload: { errorType: "TimeoutError", errorMessage: "counter write timed out", trace: [] },
        }),
      }),
    );
    const redrive = await fanoutHere(["failed", "redrive", "--json", "--no-nudge"]);
    expect(redrive.code).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ redriven: 0, skipped: 1, errors: 0 });
    // The repaired count completes the job, and the redrive's settling write (given the job record) finishes it.
    expect(JSON.parse((await fanoutHere(["status", jobId, "--json"])).stdout)).toMatchObject({
      succeeded: 1,
      failed: 0,
      done: true,
      state: "succeeded",
      finishedAt: expect.any(String),
    });
    expect(runsOf(jobId).size).toBe(0); // repaired by counting, not by running the task again
  });

  it("invoke worker with a bad payload prints the function error and exits 1", async () => {
    const out = await fanout(["invoke", "worker", '{"name":"seed-style"}']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ errorType: "ValidationError" });
    expect(out.stderr).toMatch(
      /^fanout: cli-e2e-worker failed \(Unhandled\): ValidationError: invalid worker event/,
    );
    expect(out.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("invoke --event answers 202, and --log prints the function's log to stderr", async () => {
    const event = await fanout(["invoke", "consumer", "--event"]);
    expect(event).toMatchObject({ code: 0, stdout: "202\n" });
    const logged = await fanout(["invoke", "consumer", "-", "--log"], "{}");
    expect(logged.code).toBe(0);
    expect(JSON.parse(logged.stdout)).toHaveProperty("received");
    expect(logged.stderr).toMatch(/START RequestId: .*\nEND RequestId:/s);
    await stack.lambda.idle();
  });

  it("--prefix overrides the settings' name prefix", async () => {
    const out = await fanout(["status", "cli-ok", "--prefix", "no-such"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^fanout: table no-such-dedup not found \(check --prefix/);
    expect(out.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
  it("metrics reads the functions' EMF records from the local stack's logs, as a table or JSON", async () => {
    const file = jobFile({ jobId: "cli-metrics", names: [{ name: "a" }, { name: "b" }, { name: "c" }] });
    expect((await fanout(["submit", file])).code).toBe(0);
    await stack.waitForJob("cli-metrics");
    await stack.lambda.idle();
    // What main logged it enqueued, in this file's every submission (inline jobs in one go, source jobs in
    // steps): TasksEnqueued must say the same.
    const enqueued = stack
      .logs(stack.names.mainFunction)
      .reduce(
        (n, l) =>
          n +
          (l.message === "job enqueued"
            ? Number(l.tasks)
            : l.message === "enqueue step committed"
              ? Number(l.to) - Number(l.from)
              : 0),
        0,
      );
    type Report = {
      source: string;
      namespace: string;
      metrics: { name: string; outcome: string | null; sum: number }[];
    };
    const sumOf = (r: Report, name: string) =>
      r.metrics.filter((m) => m.name === name).reduce((n, m) => n + m.sum, 0);
    // The stack's env names a local Lambda endpoint and no CloudWatch one: --source auto reads the logs.
    const report = await waitUntil(
      `fanout metrics to show ${enqueued} TasksEnqueued`,
      async () => {
        const out = await fanout(["metrics", "--json", "--log-dir", stack.logDir]);
        expect(out).toMatchObject({ code: 0, stderr: "" });
        const parsed = JSON.parse(out.stdout) as Report;
        return sumOf(parsed, "TasksEnqueued") === enqueued && parsed;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(report).toMatchObject({ source: "logs", namespace: "Fanout" });
    expect(sumOf(report, "TasksDispatched")).toBeGreaterThanOrEqual(3);
    expect(sumOf(report, "TasksSucceeded")).toBeGreaterThanOrEqual(3);
    expect(sumOf(report, "JobsSubmitted")).toBeGreaterThanOrEqual(1);

    const table = await fanout(["metrics", "--since", "1d", "--log-dir", stack.logDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`from function logs in ${stack.logDir}`);
    expect(table.stdout).toMatch(new RegExp(`^TasksEnqueued +main +- +Count +${enqueued}$`, "m"));
    expect(table.stdout).toMatch(
      /^EnqueueToStartLag +worker +- +Milliseconds +\d+ samples, avg \d+, max \d+$/m,
    );
  }, 120_000);
});
