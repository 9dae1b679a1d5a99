import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { parseSettings } from "@fanout/tooling";
import type { CliContext } from "./context.ts";
import { type Io, memoryOutput } from "./io.ts";

/** The binary, run by tests with `node`. */
export const binPath = resolve(import.meta.dirname, "bin.ts");

/** In-memory streams for running commands in-process; `stdin` holds `input`. */
export function testIo(input = "", options: { tty?: boolean; signal?: AbortSignal } = {}) {
  const stdout = memoryOutput(options.tty ?? false);
  const stderr = memoryOutput(options.tty ?? false);
  const io: Io = {
    stdout,
    stderr,
    stdin: Readable.from([Buffer.from(input)]),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return { io, stdout, stderr };
}

/** A context that fails the test if a command reaches AWS: for checks that must happen before any call. */
export function noAwsContext(): Promise<CliContext> {
  const fail = () => {
    throw new Error("the command reached AWS, but it should have stopped before");
  };
  const client = { send: fail, destroy: () => {} };
  return Promise.resolve({
    settings: parseSettings({}),
    names: {
      mainFunction: "t-main",
      consumerFunction: "t-consumer",
      workerFunction: "t-worker",
      tasksQueue: "t-tasks",
      deadLetterQueue: "t-tasks-dlq",
      failedQueue: "t-failed-tasks",
      table: "t-dedup",
      jobsTopic: "t-jobs.fifo",
      inputBucket: "t-input",
    },
    sqs: client as unknown as CliContext["sqs"],
    lambda: client as unknown as CliContext["lambda"],
    cloudwatch: client as unknown as CliContext["cloudwatch"],
    store: { client: client as never, tableName: "t-dedup", ttlSeconds: 60, now: Date.now },
    queueUrl: () => Promise.reject(new Error("the command reached AWS, but it should have stopped before")),
    close: () => {},
  });
}

/** The real binary in a child process, in a clean environment pointing at nothing that listens. */
export function runBin(args: string[], env: Record<string, string> = {}, input = "") {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
