import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { FunctionErrorBody, InvocationResult } from "./types.ts";

const bootstrapPath = fileURLToPath(new URL("./runtime/bootstrap.mjs", import.meta.url));
const SENTINEL = "\u001e";
/** How long to wait for an invocation's last log lines after its result arrived over IPC. */
const LOG_DRAIN_MS = 500;

export interface InstanceOptions {
  codeDir: string;
  env: Record<string, string>;
  /** Receives every line the process writes, with the request it belongs to (undefined outside one). */
  onLog: (requestId: string | undefined, text: string) => void;
}

export interface InvokeRequest {
  requestId: string;
  event: string;
  invokedFunctionArn: string;
  timeoutMs: number;
  clientContext?: unknown;
  /** Fault injection: throw this instead of calling the handler. */
  injectError?: FunctionErrorBody | undefined;
  /** Fault injection: never answer, so the invocation runs into its timeout. */
  hang?: boolean | undefined;
  /**
   * What is left of `timeoutMs` for the handler, when a slow init already used part of it (default
   * `timeoutMs`). A timeout is still reported as `timeoutMs`, the function's configured timeout.
   */
  remainingMs?: number | undefined;
}

export interface InstanceOutcome {
  result: InvocationResult;
  /** Whether the instance is still usable for the next invocation. */
  reusable: boolean;
  maxMemoryUsedMb: number | undefined;
  durationMs: number;
}

type InitResult = { ok: true; initDurationMs: number } | { ok: false; error: FunctionErrorBody };

interface ChildMessage {
  type: "ready" | "init-error" | "result" | "error";
  requestId?: string;
  payload?: string;
  error?: FunctionErrorBody;
  fatal?: boolean;
  maxMemoryUsedMb?: number;
}

/**
 * V8's heap limits as Lambda's Node.js runtime bootstrap derives them from the memory setting: new space a
 * tenth of it (semi-space half of that), old space the rest.
 */
function heapArgs(memoryMb: string | undefined): string[] {
  const mb = Math.floor(Number(memoryMb));
  if (!Number.isFinite(mb) || mb <= 0) return [];
  const newSpace = Math.floor(mb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${mb - newSpace}`];
}

/** One execution environment: a forked Node process running `runtime/bootstrap.mjs` and the function's bundle. */
export class Instance {
  readonly logStreamName: string;
  readonly ready: Promise<InitResult>;
  private readonly child: ChildProcess;
  private readonly options: InstanceOptions;
  private readonly closed: Promise<void>;
  private exitDescription: string | undefined;
  private current:
    | { requestId: string; onMessage: (m: ChildMessage) => void; onClose: () => void }
    | undefined;
  private readonly streamRequest: { stdout?: string | undefined; stderr?: string | undefined } = {};
  private readonly sentinelsSeen = new Map<string, number>();
  private sentinelWaiter: (() => void) | undefined;

  constructor(logStreamName: string, options: InstanceOptions) {
    this.logStreamName = logStreamName;
    this.options = options;
    const started = performance.now();
    this.child = fork(bootstrapPath, [], {
      cwd: options.codeDir,
      env: { ...options.env, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName },
      // Lambda's Node.js runtime sizes the V8 heap from the memory setting; without a limit V8 grows
      // lazily past it here, and a function that would run out of memory on AWS would pass locally.
      execArgv: heapArgs(options.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    this.pipe("stdout");
    this.pipe("stderr");
    this.closed = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.exitDescription = signal !== null ? `signal: ${signalName(signal)}` : `exit status ${code ?? 0}`;
        resolve();
      });
    });
    // An error event (e.g. spawn failure) is followed by close; keep it from crashing the service.
    this.child.on("error", () => {});
    // No time limit here: how long an init may take depends on the invocation waiting for it (see
    // FunctionRuntime.takeInstance), which kills the instance when that is exceeded.
    this.ready = new Promise<InitResult>((resolve) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type === "ready") {
          resolve({ ok: true, initDurationMs: performance.now() - started });
        } else if (message.type === "init-error" && message.error !== undefined) {
          resolve({ ok: false, error: message.error });
        }
      };
      this.child.on("message", onMessage);
      void this.closed.then(() => {
        resolve({
          ok: false,
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited with error: ${this.exitDescription} Runtime.ExitError`,
          },
        });
      });
    });
    this.child.on("message", (message: ChildMessage) => this.current?.onMessage(message));
    void this.closed.then(() => this.current?.onClose());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return (
      this.exitDescription === undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Runs one invocation; the instance must be ready and idle. Enforces the timeout by killing the process. */
  invoke(request: InvokeRequest): Promise<InstanceOutcome> {
    const started = performance.now();
    const budgetMs = Math.max(0, request.remainingMs ?? request.timeoutMs);
    const deadlineMs = Date.now() + budgetMs;
    const { requestId } = request;
    return new Promise<InstanceOutcome>((resolve) => {
      let timedOut = false;
      let answered = false;
      const finish = (result: InvocationResult, reusable: boolean, maxMemoryUsedMb?: number) => {
        clearTimeout(timer);
        this.current = undefined;
        resolve({ result, reusable, maxMemoryUsedMb, durationMs: performance.now() - started });
      };
      const timer = setTimeout(() => {
        timedOut = true;
        this.kill();
      }, budgetMs);
      this.current = {
        requestId,
        onMessage: (message) => {
          if (timedOut || message.requestId !== requestId) return;
          if (answered || (message.type !== "result" && message.type !== "error")) return;
          answered = true;
          clearTimeout(timer);
          void this.drainLogs(requestId).then(() => {
            if (message.type === "result") {
              finish({ kind: "success", payload: message.payload ?? "null" }, true, message.maxMemoryUsedMb);
            } else {
              const error = message.error ?? { errorType: "Error", errorMessage: "Unknown error" };
              finish(
                { kind: "error", error, status: "error" },
                message.fatal !== true,
                message.maxMemoryUsedMb,
              );
            }
          });
        },
        onClose: () => {
          if (answered) return;
          if (timedOut) {
            const seconds = (request.timeoutMs / 1000).toFixed(2);
            finish(
              {
                kind: "error",
                status: "timeout",
                error: {
                  errorType: "Sandbox.Timedout",
                  errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
                },
              },
              false,
            );
          } else {
            finish(
              {
                kind: "error",
                status: "error",
                error: {
                  errorType: "Runtime.ExitError",
                  errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${this.exitDescription}`,
                },
              },
              false,
            );
          }
        },
      };
      this.streamRequest.stdout = requestId;
      this.streamRequest.stderr = requestId;
      this.sentinelsSeen.set(requestId, 0);
      this.child.send({
        type: "invoke",
        requestId,
        event: request.event,
        deadlineMs,
        invokedFunctionArn: request.invokedFunctionArn,
        clientContext: request.clientContext,
        injectError: request.injectError,
        hang: request.hang,
      });
    });
  }

  /** Kills the process (SIGKILL) and resolves once it and its pipes are closed. */
  kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    return this.closed;
  }

  private pipe(stream: "stdout" | "stderr"): void {
    const source = this.child[stream];
    if (source === null) return;
    source.setEncoding("utf8");
    let buffer = "";
    source.on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        this.line(stream, buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    });
    source.on("end", () => {
      if (buffer.length > 0) this.line(stream, buffer);
      buffer = "";
    });
  }

  private line(stream: "stdout" | "stderr", text: string): void {
    const requestId = this.streamRequest[stream];
    const marker = requestId === undefined ? undefined : `${SENTINEL}${requestId}${SENTINEL}`;
    if (requestId !== undefined && marker !== undefined && text.endsWith(marker)) {
      const before = text.slice(0, -marker.length);
      if (before.length > 0) this.options.onLog(requestId, before);
      this.streamRequest[stream] = undefined;
      const seen = (this.sentinelsSeen.get(requestId) ?? 0) + 1;
      this.sentinelsSeen.set(requestId, seen);
      if (seen >= 2) this.sentinelWaiter?.();
      return;
    }
    this.options.onLog(requestId, text);
  }

  /** Waits until the invocation's end markers came through both pipes, so its logs are complete. */
  private drainLogs(requestId: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sentinelWaiter = undefined;
        this.sentinelsSeen.delete(requestId);
        resolve();
      };
      const timer = setTimeout(done, LOG_DRAIN_MS);
      if ((this.sentinelsSeen.get(requestId) ?? 0) >= 2) done();
      else this.sentinelWaiter = done;
    });
  }
}

export function newLogStreamName(now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

function signalName(signal: NodeJS.Signals): string {
  return signal === "SIGKILL" ? "killed" : signal.replace(/^SIG/, "").toLowerCase();
}
