import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { pickPort } from "../src/ports.ts";

const run = promisify(execFile);
const bin = join(import.meta.dirname, "../src/bin/stack.ts");
const aws = "/usr/bin/aws";
const fanoutCli = join(import.meta.dirname, "../../cli/src/bin.ts");

interface RunningBin {
  child: ChildProcess;
  env: Record<string, string>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const started: RunningBin[] = [];
const tempDirs: string[] = [];

afterEach(() => {
  for (const s of started.splice(0)) s.child.kill("SIGKILL");
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fanout-stack-bin-"));
  tempDirs.push(dir);
  return dir;
}

/** Starts `pnpm stack` as a real process and waits for its banner; `env` holds its `export` lines. */
async function startBin(args: string[]): Promise<RunningBin> {
  const child = spawn(process.execPath, [bin, "--no-build", "--quiet", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const running: RunningBin = { child, env: {}, stdout: () => out, stderr: () => err, exited };
  started.push(running);
  const deadline = Date.now() + 60_000;
  while (!out.includes("Ctrl-C stops everything.")) {
    if (child.exitCode !== null) throw new Error(`stack exited ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`stack did not come up: ${out}${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const match of out.matchAll(/^ {2}export (\w+)=(.*)$/gm)) {
    running.env[match[1] as string] = (match[2] as string).replace(/^'|'$/g, "");
  }
  return running;
}

/** Every process below `pid`, found with ps. */
function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portOf = (url: string | undefined) => Number(new URL(url ?? "").port);

/**
 * Runs the AWS CLI v2 against the stack's Lambda endpoint, with only the stack's printed environment.
 * `--endpoint-url` because Debian's CLI (2.9) predates the AWS_ENDPOINT_URL_<SERVICE> variables.
 */
async function awsCli(stack: RunningBin, args: string[]): Promise<string> {
  const endpoint = ["--endpoint-url", stack.env.AWS_ENDPOINT_URL_LAMBDA ?? ""];
  const { stdout } = await run(aws, [...args, ...endpoint, "--output", "json"], {
    env: { PATH: process.env.PATH ?? "", HOME: tempDir(), ...stack.env },
  });
  return stdout;
}

interface JobStatus {
  jobId: string;
  total: number;
  succeeded: number;
  failed: number;
  done: boolean;
}

/** `aws lambda invoke --function-name fanout-main` with a job; returns the CLI's JSON answer. */
async function submitWithCli(stack: RunningBin, job: unknown, outFile: string, extra: string[] = []) {
  return JSON.parse(
    await awsCli(stack, [
      "lambda",
      "invoke",
      "--function-name",
      "fanout-main",
      "--cli-binary-format",
      "raw-in-base64-out",
      "--payload",
      JSON.stringify(job),
      ...extra,
      outFile,
    ]),
  );
}

/**
 * Polls `pnpm fanout status <jobId> --json` with the stack's printed environment, as a user would, until the
 * job is done. Throws with the last status seen (and the functions' problems, given `logDir`) on timeout.
 */
async function waitForJob(
  stack: RunningBin,
  jobId: string,
  timeoutMs = 90_000,
  logDir?: string,
): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await run(process.execPath, [fanoutCli, "status", jobId, "--json"], {
      env: { PATH: process.env.PATH ?? "", HOME: tempDir(), ...stack.env },
    });
    const status = JSON.parse(stdout) as JobStatus;
    if (status.done) return status;
    if (Date.now() > deadline) {
      const logs = logDir === undefined ? "" : `\n${problems(logDir)}`;
      throw new Error(`job ${jobId} not done after ${timeoutMs} ms; last status: ${stdout.trim()}${logs}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Warnings and errors the functions logged, to explain a failed expectation: WARN/ERROR records, timeouts,
 * errors, and REPORT lines whose Status says the platform ended the invocation (`Status: error|timeout`).
 */
function problems(logDir: string): string {
  return readdirSync(logDir)
    .flatMap((file) => readFileSync(join(logDir, file), "utf8").split("\n"))
    .filter((line) => problemLine.test(line))
    .slice(-20)
    .join("\n");
}
const problemLine =
  /"level\\?":\\?"(WARN|ERROR)|Task timed out|Error:|REPORT RequestId:.*Status: (error|timeout)\b/;

/** Every port 0: the stack picks free ones. */
const anyPorts = ["--sqs-port", "0", "--dynamo-port", "0", "--lambda-port", "0"];

const names = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Name${i + 1}` }));

describe("problems()", () => {
  it("names REPORT lines in which the platform ended an invocation, not ordinary ones", () => {
    const dir = tempDir();
    const line = (requestId: string, message: string) =>
      JSON.stringify({ time: "2026-12-01T00:00:00.000Z", function: "fanout-worker", requestId, message });
    const report = (id: string) => `REPORT RequestId: ${id}\tDuration: 1.00 ms\tBilled Duration: 1 ms`;
    writeFileSync(
      join(dir, "fanout-worker.log"),
      [
        line("ok-1", report("ok-1")),
        line("dead-1", `${report("dead-1")}\tStatus: error\tError Type: Runtime.ExitError`),
        line("slow-1", `${report("slow-1")}\tStatus: timeout`),
      ].join("\n"),
    );
    const found = problems(dir);
    expect(found).toContain("dead-1");
    expect(found).toContain("slow-1");
    expect(found).not.toContain("ok-1");
  });
});

describe("pnpm stack", () => {
  it("runs a job submitted with `aws lambda invoke`, and Event, DryRun and Tail behave as on AWS", async () => {
    const logDir = tempDir();
    // Real speed: main's nudge alone must get the job done (the schedule, a minute away, is only a backstop).
    // This once needed --speed 60, when a slow init under load failed an invocation at 10 s and the task
    // waited 60 s for Lambda's first retry; a slow init now counts against the function timeout instead.
    const stack = await startBin([...anyPorts, "--log-dir", logDir]);
    expect(stack.stdout()).toContain("functions: fanout-main, fanout-consumer, fanout-worker");
    expect(stack.stdout()).toContain("rate(1 minute) -> fanout-consumer");
    expect(stack.stdout()).toContain("input bucket (job sources): s3://fanout-input");
    expect(stack.env.AWS_ENDPOINT_URL_S3).toBe(stack.env.AWS_ENDPOINT_URL_SQS);
    const dir = tempDir();

    const sync = await submitWithCli(
      stack,
      { jobId: "aws-cli-job", names: names(40) },
      join(dir, "out.json"),
    );
    expect(sync).toMatchObject({ StatusCode: 200, ExecutedVersion: "$LATEST" });
    expect(sync.FunctionError).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, "out.json"), "utf8"))).toEqual({
      jobId: "aws-cli-job",
      tasks: 40,
      created: true,
    });
    // main nudges the consumer; the schedule would too, a minute later.
    const status = await waitForJob(stack, "aws-cli-job", 90_000, logDir);
    expect(status, problems(logDir)).toMatchObject({ done: true, total: 40, succeeded: 40, failed: 0 });

    const event = JSON.parse(
      await awsCli(stack, [
        "lambda",
        "invoke",
        "--function-name",
        "fanout-consumer",
        "--invocation-type",
        "Event",
        "--cli-binary-format",
        "raw-in-base64-out",
        "--payload",
        "{}",
        join(dir, "event.json"),
      ]),
    );
    expect(event.StatusCode).toBe(202);
    expect(readFileSync(join(dir, "event.json"), "utf8")).toBe("");

    const dry = JSON.parse(
      await awsCli(stack, [
        "lambda",
        "invoke",
        "--function-name",
        "fanout-worker",
        "--invocation-type",
        "DryRun",
        join(dir, "dry.json"),
      ]),
    );
    expect(dry.StatusCode).toBe(204);

    const tail = await submitWithCli(
      stack,
      { jobId: "aws-cli-tail", names: names(2) },
      join(dir, "tail.json"),
      ["--log-type", "Tail"],
    );
    const log = Buffer.from(tail.LogResult, "base64").toString("utf8");
    expect(log).toContain("aws-cli-tail");
    expect(log).toMatch(/REPORT RequestId: [0-9a-f-]+/);

    const missing = await awsCli(stack, [
      "lambda",
      "invoke",
      "--function-name",
      "fanout-nope",
      join(dir, "x.json"),
    ]).catch((error: { stderr: string }) => error);
    expect((missing as { stderr: string }).stderr).toContain("ResourceNotFoundException");
  });

  it("stops on Ctrl-C with exit 0, leaving no process behind and every port free", async () => {
    const logDir = tempDir();
    const stack = await startBin([...anyPorts, "--log-dir", logDir]);
    // Start function instances, so there are child processes to clean up.
    await submitWithCli(stack, { jobId: "shutdown-job", names: names(5) }, join(tempDir(), "out.json"));
    expect(await waitForJob(stack, "shutdown-job", 90_000, logDir)).toMatchObject({
      done: true,
      succeeded: 5,
    });
    const pid = stack.child.pid as number;
    const children = descendants(pid);
    expect(children.length).toBeGreaterThanOrEqual(2); // main, consumer, worker instances
    const ports = [
      portOf(stack.env.AWS_ENDPOINT_URL_SQS),
      portOf(stack.env.AWS_ENDPOINT_URL_DYNAMODB),
      portOf(stack.env.AWS_ENDPOINT_URL_LAMBDA),
    ];

    stack.child.kill("SIGINT");
    expect(await stack.exited).toBe(0);
    expect(stack.stderr()).toContain("stopped");
    expect(children.filter(alive)).toEqual([]);
    for (const port of ports) expect(await pickPort(port)).toBe(port);
  });

  it("keeps DynamoDB state across a restart with --data-dir", async () => {
    const dataDir = tempDir();
    const args = [...anyPorts, "--data-dir", dataDir, "--log-dir", tempDir()];
    const first = await startBin(args);
    expect(first.stdout()).toContain(`(kept in ${dataDir})`);
    await submitWithCli(first, { jobId: "kept-job", names: names(3) }, join(tempDir(), "out.json"));
    expect(await waitForJob(first, "kept-job")).toMatchObject({ done: true, succeeded: 3 });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = await startBin(args);
    expect(await waitForJob(second, "kept-job", 1)).toMatchObject({ done: true, total: 3, succeeded: 3 });
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("refuses a taken port with one line naming the flag, before starting anything", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const result = await run(process.execPath, [
        bin,
        "--no-build",
        "--sqs-port",
        "0",
        "--dynamo-port",
        "0",
        "--lambda-port",
        String(taken),
      ]).catch((error: { code: number; stderr: string; stdout: string }) => error);
      expect((result as { code: number }).code).toBe(1);
      expect((result as { stderr: string }).stderr.trim()).toBe(
        `stack: port already in use on 127.0.0.1: ${taken} (move it with --lambda-port)`,
      );
      expect((result as { stdout: string }).stdout).toBe("");
    } finally {
      blocker.close();
    }
  });

  it.each([
    [["--sqs-port", "70000"], "--sqs-port"],
    [["--speed", "0"], "--speed"],
    [["--bogus"], "--bogus"],
  ])("rejects bad flags %j with exit 1 and a message naming %s", async (args, flag) => {
    const result = await run(process.execPath, [bin, "--no-build", ...args]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toContain(flag);
  });
});
