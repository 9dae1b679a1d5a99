import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const bin = join(import.meta.dirname, "../src/bin/demo.ts");
const dir = mkdtempSync(join(tmpdir(), "fanout-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the README's main-job command as a process (stdout is a pipe, so progress is plain lines). */
async function demo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, "--no-build", ...args], {
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The metrics table's value for a metric (and outcome). */
const metric = (stdout: string, name: string, outcome = "-") =>
  new RegExp(`^${name} +\\S+ +${outcome} +\\S+ +(.*)$`, "m").exec(stdout)?.[1];

/** The summary table's value for a row. */
const row = (stdout: string, name: string) =>
  new RegExp(`^\\| ${name} +\\| (.*?) +\\|$`, "m").exec(stdout)?.[1];

describe("pnpm demo", () => {
  it("runs a job through the whole pipeline, exits 0, and reports exact figures", async () => {
    const { code, stdout } = await demo(["--names", "300", "--speed", "1000"]);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/^progress \d+\/300 /m);
    expect(row(stdout, "succeeded")).toBe("300");
    expect(row(stdout, "dispatched \\(worker invokes\\)")).toBe("300");
    expect(row(stdout, "tasks run or dispatched twice")).toBe("0");
    // Counted by each function's SDK middleware: claim (with the dispatch token: no DISPATCHED write since
    // ADR 0015), RUNNING, outcome; the consumer's counts from the table's stream (ADR 0015 decision 2: one
    // write per counter shard per stream batch, at most one per task) and its in-flight count (one write per
    // counter shard per second of a run: at most one per task, fewer the faster the machine), plus the job's
    // own few writes and ~4 per counter shard and group (announce, mark,
    // completion: ADR 0014; 3 shards of 100 tasks here, 0.04-0.07 per task); reads: the worker's job read,
    // and each consumer run's. Each consumer run also takes and frees its run slot (two writes, counted in the
    // run's figures since issue 20's capacity work; a take refused by a run that got there first, rarely, one
    // more): how many runs a 300-task job sees depends on the machine's speed, so the bound counts them.
    const writes = Number(row(stdout, "DynamoDB writes per task"));
    const consumerRuns = Number(row(stdout, "consumer runs"));
    expect(consumerRuns).toBeGreaterThan(0);
    expect(writes).toBeGreaterThanOrEqual(3);
    expect(writes).toBeLessThan(5.1 + (2.5 * consumerRuns) / 300);
    // The writes, and reads that depend on how many worker containers ran (each reads a job record
    // at most once per 5 s, ADR 0015): not a fixed count per task.
    expect(Number(row(stdout, "DynamoDB requests per task"))).toBeGreaterThanOrEqual(3);
    expect(Number(row(stdout, "Lambda requests per task"))).toBeCloseTo(1, 1);
    expect(row(stdout, "result")).toBe("OK: every task final, none run twice");
    // The functions' EMF metrics, read back from their logs, agree with the figures above.
    expect(metric(stdout, "JobsSubmitted", "created")).toBe("1");
    expect(metric(stdout, "TasksEnqueued")).toBe("300");
    expect(metric(stdout, "TasksDispatched")).toBe("300");
    expect(metric(stdout, "TasksSucceeded")).toBe("300");
    expect(metric(stdout, "TaskDuration", "succeeded")).toMatch(/^300 samples, /);
    expect(metric(stdout, "EnqueueToStartLag")).toMatch(/^300 samples, /);
  });

  it("dispatches each task once when the job is submitted twice, with failing workers retried", async () => {
    const { code, stdout } = await demo([
      "--names",
      "200",
      "--speed",
      "1000",
      "--resubmit",
      "--fail-rate",
      "0.3",
    ]);
    expect(code, stdout).toBe(0);
    expect(row(stdout, "dispatched \\(worker invokes\\)")).toBe("200");
    expect(Number(row(stdout, "succeeded")) + Number(row(stdout, "failed \\(final\\)"))).toBe(200);
    expect(Number(row(stdout, "worker runs \\(incl. retries\\)"))).toBeGreaterThan(200);
    expect(row(stdout, "tasks run or dispatched twice")).toBe("0");
    expect(metric(stdout, "JobsSubmitted", "resubmitted")).toBe("1");
    expect(metric(stdout, "TasksEnqueued")).toBe("400");
    expect(metric(stdout, "TasksDispatched")).toBe("200");
    expect(metric(stdout, "TasksSucceeded")).toBe(row(stdout, "succeeded"));
    expect(Number(metric(stdout, "TasksFailedRetryPending"))).toBeGreaterThan(0);
    // Duplicates that met a live claim come back after the real-time 60 s claim lease: hence the timeout.
  }, 200_000);

  it("refuses an invalid job file with every bad entry, exit 1, before starting anything", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ names: [{ name: "ok" }, {}, { name: "" }] }));
    const { code, stdout, stderr } = await demo(["--payload", file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/names\[1\]\.name: name is missing/);
    expect(stderr).toMatch(/names\[2\]\.name: name must not be empty/);
    expect(stdout).not.toContain("local stack up");
  });

  it("rejects a bad flag with a message naming it", async () => {
    const { code, stderr } = await demo(["--names", "0"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("--names");
  });
});
