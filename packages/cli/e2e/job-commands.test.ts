import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { encodeTask, makeTask } from "@fanout/core";
import { recordJob } from "@fanout/job-state";
import { startTestStack, type TestStack } from "@fanout/local-stack/testing";
import type { SettingsInput } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBin } from "../src/testing.ts";

/**
 * `results`, `cancel`, `jobs` and `status` of the job features, run as the binary against a stack of their
 * own (so `jobs` lists only this file's jobs). Results over 200 bytes fail their task, so a job has known
 * failures without a random fail rate.
 */
const settings: SettingsInput = { name_prefix: "cli-jobs", max_result_bytes: 200 };
let stack: TestStack;
let dir: string;
let settingsFile: string;

beforeAll(async () => {
  stack = await startTestStack(settings);
  dir = mkdtempSync(join(tmpdir(), "fanout-cli-jobs-"));
  settingsFile = join(dir, "settings.json");
  writeFileSync(settingsFile, JSON.stringify(settings));
}, 60_000);
afterAll(() => stack?.stop());

function fanout(args: string[], input = "") {
  return runBin([...args, "--settings", settingsFile], stack.env, input);
}

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function workerRunsOf(jobId: string): number {
  return stack
    .logs(stack.names.workerFunction)
    .filter((l) => l.message === "task succeeded" && String(l.taskId).startsWith(`${jobId}#`)).length;
}

/** Task i of the results job: every fourth (1, 5, 9) is big enough that its result fails the task. */
const payloadOf = (i: number) => (i % 4 === 1 ? { n: i, pad: "x".repeat(300) } : { n: i, name: `task ${i}` });
const resultsJob = "res";
const resultsTotal = 12;
const failing = [1, 5, 9];

describe("job commands against the local stack", () => {
  it("submits a tasks-format job with a failure tolerance; status shows it succeeded with 3 tolerated failures", async () => {
    const job = {
      jobId: resultsJob,
      tasks: Array.from({ length: resultsTotal }, (_, i) => payloadOf(i)),
      toleratedFailureCount: 3,
    };
    const submitted = await fanout(["submit", "-"], JSON.stringify(job));
    expect(submitted).toMatchObject({
      code: 0,
      stdout: `submitted job ${resultsJob}: ${resultsTotal} tasks (toleratedFailureCount 3)\n`,
    });
    const watched = await fanout([
      "status",
      resultsJob,
      "--watch",
      "--json",
      "--interval",
      "0.2",
      "--timeout",
      "60",
    ]);
    expect(watched.code).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({
      jobId: resultsJob,
      state: "succeeded",
      stopReason: null,
      total: resultsTotal,
      succeeded: resultsTotal - failing.length,
      failed: failing.length,
      retryPending: 0,
      running: 0,
      cancelled: 0,
      pending: 0,
      percent: 100,
      done: true,
      options: { toleratedFailureCount: 3 },
      finishedAt: expect.any(String),
    });
    expect(watched.stderr).toMatch(
      /job res succeeded with 3 failed tasks, within its tolerance \(3 tasks\)\n$/,
    );
    const table = await fanout(["status", resultsJob]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^state +succeeded$/m);
    expect(table.stdout).toMatch(/^failed \(final\) +3$/m);
    expect(table.stdout).toMatch(/^tolerated failures +3 tasks$/m);
    expect(table.stdout).toMatch(/^max concurrency +unlimited$/m);
    expect(table.stdout).toMatch(/^finished +\d{4}-\d\d-\d\dT/m);
  }, 90_000);

  it("results prints one JSON line per task in index order: the result of a success, the error of a failure", async () => {
    const out = await fanout(["results", resultsJob]);
    expect(out).toMatchObject({ code: 0, stderr: "" });
    const lines = jsonLines(out.stdout);
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: resultsTotal }, (_, i) => i));
    for (const line of lines) {
      const i = line.index as number;
      if (failing.includes(i)) {
        expect(line).toEqual({
          index: i,
          status: "failed",
          error: {
            type: "ResultTooLargeError",
            message: expect.stringMatching(/over the 200-byte limit \(RESULT_MAX_BYTES\)/),
          },
          final: true,
        });
      } else {
        // The reference worker returns {"received": <the task payload>}.
        expect(line).toEqual({ index: i, status: "succeeded", result: { received: payloadOf(i) } });
      }
    }
    // The keys come in the documented order.
    expect(out.stdout.split("\n")[0]).toBe(
      '{"index":0,"status":"succeeded","result":{"received":{"n":0,"name":"task 0"}}}',
    );
  });

  it("results --failed prints only the failed tasks; --from and --limit pick a window", async () => {
    const failed = await fanout(["results", resultsJob, "--failed"]);
    expect(failed.code).toBe(0);
    expect(jsonLines(failed.stdout).map((l) => [l.index, l.status])).toEqual(
      failing.map((i) => [i, "failed"]),
    );
    const window = await fanout(["results", resultsJob, "--from", "4", "--limit", "3"]);
    expect(jsonLines(window.stdout).map((l) => l.index)).toEqual([4, 5, 6]);
    const past = await fanout(["results", resultsJob, "--from", "12"]);
    expect(past).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "fanout: --from 12 is past the last task of job res (it has 12 tasks, indexes 0 to 11)\n",
    });
    const unknown = await fanout(["results", "no-such-job"]);
    expect(unknown).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "fanout: job no-such-job not found in table cli-jobs-dedup\n",
    });
  });

  it("cancel answers cancelled, then already cancelled; its queued tasks are dropped unrun and status shows them cancelled", async () => {
    const jobId = "cancel-me";
    // A job whose tasks are still queued: recorded, but its messages not yet sent (main would nudge the consumer).
    const { epoch } = await recordJob(stack.store, { jobId, contentHash: "h-cancel", total: 3 });
    const before = await fanout(["results", jobId]);
    expect(jsonLines(before.stdout)).toEqual([0, 1, 2].map((index) => ({ index, status: "pending" })));

    const first = await fanout(["cancel", jobId]);
    expect(first).toMatchObject({
      code: 0,
      stdout:
        "cancelled job cancel-me: queued tasks will be dropped, running tasks finish (tasks dispatched in the next 5 s may still start)\n",
      stderr: "",
    });
    const cancelling = JSON.parse((await fanout(["status", jobId, "--json"])).stdout);
    expect(cancelling).toMatchObject({ state: "cancelling", stopReason: "cancelled by request", pending: 3 });

    const second = await fanout(["cancel", jobId]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^job cancel-me was already cancelled at \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    const secondJson = await fanout(["cancel", jobId, "--json"]);
    expect(secondJson.code).toBe(0);
    expect(JSON.parse(secondJson.stdout)).toMatchObject({
      jobId,
      outcome: "already-cancelled",
      state: "cancelling",
      cancelledAt: expect.any(String),
      finishedAt: null,
      stopReason: "cancelled by request",
    });

    // Now its tasks reach the queue and the consumer runs: it drops them without invoking the worker.
    await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.resources.tasksQueueUrl,
        Entries: [0, 1, 2].map((i) => ({
          Id: String(i),
          MessageBody: encodeTask(makeTask(jobId, i, `n${i}`, epoch)),
        })),
      }),
    );
    const dispatchesBefore = stack.dispatches();
    await stack.invoke(stack.names.consumerFunction, {});
    await stack.waitForJob(jobId, 30_000);
    expect(stack.dispatches()).toBe(dispatchesBefore);
    expect(workerRunsOf(jobId)).toBe(0);

    const status = await fanout(["status", jobId, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: "cancelled",
      stopReason: "cancelled by request",
      total: 3,
      succeeded: 0,
      failed: 0,
      running: 0,
      cancelled: 3,
      pending: 0,
      percent: 100,
      done: true,
      finishedAt: expect.any(String),
    });
    const table = await fanout(["status", jobId]);
    expect(table.stdout).toMatch(/^state +cancelled$/m);
    expect(table.stdout).toMatch(/^stop reason +cancelled by request$/m);
    expect(table.stdout).toMatch(/^cancelled +3$/m);
    // --watch ends at once on a cancelled job, and exits 1: it did not succeed.
    const watched = await fanout(["status", jobId, "--watch", "--interval", "0.2", "--timeout", "10"]);
    expect(watched.code).toBe(1);
    expect(watched.stderr).toBe(
      "fanout: job cancel-me was cancelled (cancelled by request): 0 succeeded, 0 failed, 3 cancelled\n",
    );
    expect(jsonLines((await fanout(["results", jobId])).stdout)).toEqual(
      [0, 1, 2].map((index) => ({ index, status: "cancelled" })),
    );
    // A cancel after it finished cancelled is still "already cancelled".
    const third = await fanout(["cancel", jobId]);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/^job cancel-me was already cancelled at \S+ \(finished \S+\)\n$/);
  }, 60_000);

  it("cancel refuses a finished job and an unknown one, with exit 1", async () => {
    const finished = await fanout(["cancel", resultsJob]);
    expect(finished.code).toBe(1);
    expect(finished.stdout).toBe("");
    expect(finished.stderr).toMatch(
      /^fanout: job res already finished \(succeeded\) at \d{4}-\d\d-\d\dT[\d:.]+Z; nothing to cancel\n$/,
    );
    const unknown = await fanout(["cancel", "no-such-job"]);
    expect(unknown).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "fanout: job no-such-job not found in table cli-jobs-dedup\n",
    });
    const unknownJson = await fanout(["cancel", "no-such-job", "--json"]);
    expect(unknownJson.code).toBe(1);
    expect(JSON.parse(unknownJson.stdout)).toMatchObject({ jobId: "no-such-job", outcome: "not-found" });
  });

  it("jobs lists every job newest first across pages, and refuses a cursor it did not print", async () => {
    for (let i = 0; i < 5; i++) {
      await recordJob(stack.store, { jobId: `page-${i}`, contentHash: `h${i}`, total: i + 1 });
      await new Promise((r) => setTimeout(r, 5)); // distinct creation times
    }
    const seen: { jobId: string; createdAt: string }[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const out = await fanout(["jobs", "--limit", "2", "--json", ...(after ? ["--after", after] : [])]);
      expect(out).toMatchObject({ code: 0, stderr: "" });
      const page = JSON.parse(out.stdout) as {
        jobs: { jobId: string; createdAt: string }[];
        next: string | null;
      };
      expect(page.jobs.length).toBeGreaterThan(0); // a cursor is printed only when a job follows
      seen.push(...page.jobs);
      after = page.next;
      pages++;
    } while (after && pages < 10);
    // 5 page jobs, the cancelled job and the results job: 7 jobs on 4 pages, newest first, none twice.
    expect(pages).toBe(4);
    expect(seen.map((j) => j.jobId)).toEqual([
      "page-4",
      "page-3",
      "page-2",
      "page-1",
      "page-0",
      "cancel-me",
      resultsJob,
    ]);
    const times = seen.map((j) => Date.parse(j.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // The table, and the command for the next page, which works as printed.
    const table = await fanout(["jobs", "--limit", "3"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^JOB ID +STATE +TOTAL +CREATED +FINISHED$/);
    expect(lines[1]).toMatch(/^page-4 +running +5 +\d{4}-\S+ +-$/);
    const next = lines.at(-1)?.match(/^next page: fanout jobs --limit 3 --after (\S+)$/)?.[1];
    expect(next).toBeDefined();
    const second = await fanout(["jobs", "--limit", "3", "--after", next ?? ""]);
    expect(second.stdout).toMatch(/^page-1 +running/m);
    expect(second.stdout).toMatch(/^cancel-me +cancelled +3 +\S+ +\d{4}-/m);
    const last = await fanout([
      "jobs",
      "--limit",
      "3",
      "--after",
      second.stdout.match(/--after (\S+)/)?.[1] ?? "",
    ]);
    expect(last.stdout).toMatch(/^res +succeeded +12 /m);
    expect(last.stdout).not.toMatch(/next page/);

    const bad = await fanout(["jobs", "--after", "bm90LWEtY3Vyc29y"]);
    expect(bad).toMatchObject({
      code: 2,
      stdout: "",
      stderr:
        "fanout: --after: \"bm90LWEtY3Vyc29y\" is not a cursor printed by a jobs listing (see 'fanout jobs --help')\n",
    });
  });
});
