import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { functionArn } from "./arn.ts";
import { TooManyRequestsError } from "./errors.ts";
import { decideRunFault, decideThrottle } from "./faults.ts";
import { Instance, newLogStreamName } from "./instance.ts";
import { type LogRouter, platformLines } from "./logs.ts";
import { ConcurrencySlots } from "./slots.ts";
import type {
  Credentials,
  Faults,
  FunctionErrorBody,
  FunctionSpec,
  FunctionStats,
  InvocationResult,
} from "./types.ts";

/** Lambda's limit on a synchronous response (6 MiB + 100 bytes, as the service enforces it). */
const MAX_RESPONSE_BYTES = 6_291_556;
const runtimeDir = fileURLToPath(new URL("./runtime/", import.meta.url));

export interface ServiceContext {
  region: string;
  accountId: string;
  maxConcurrency: number;
  /**
   * Lambda's on-demand init phase limit (10 s). An init that takes longer does not fail the invocation: it
   * counts against the function's timeout instead, as when AWS re-runs a timed-out init inside the invoke.
   */
  initLimitMs: number;
  environment: Record<string, string>;
  credentials: Credentials;
  logs: LogRouter;
  random: () => number;
  emit: (event: string, data: unknown) => void;
}

export interface Execution {
  requestId: string;
  result: InvocationResult;
  /** base64 of the invocation's last 4 KB of log lines. */
  logTail: string;
}

export interface InvocationEvent {
  function: string;
  requestId: string;
  invocationType: "RequestResponse" | "Event";
}

/**
 * One function: its configuration, concurrency slots, warm instances and counters. `execute` runs one
 * invocation on a warm instance (or a new one), with fault injection and Lambda's START/END/REPORT lines.
 */
export class FunctionRuntime {
  spec: FunctionSpec;
  faults: Faults = {};
  readonly slots: ConcurrencySlots;
  private readonly context: ServiceContext;
  private readonly idle: Instance[] = [];
  private readonly instances = new Set<Instance>();
  /** Retired instances whose processes have not closed yet; `stop` waits for them too. */
  private readonly dying = new Set<Promise<void>>();
  private generation = 0;
  private readonly generationOf = new WeakMap<Instance, number>();
  private readonly counters = { started: 0, succeeded: 0, failed: 0, throttled: 0, coldStarts: 0 };
  private stopped = false;

  constructor(spec: FunctionSpec, context: ServiceContext) {
    this.spec = spec;
    this.context = context;
    this.slots = new ConcurrencySlots(this.concurrencyLimit());
  }

  get name(): string {
    return this.spec.name;
  }

  get arn(): string {
    return functionArn(this.context.region, this.context.accountId, this.spec.name);
  }

  /** Applies a new configuration; instances started under the old one are retired once idle. */
  update(spec: FunctionSpec): void {
    const codeChanged =
      spec.codeDir !== this.spec.codeDir ||
      spec.handler !== this.spec.handler ||
      spec.memoryMb !== this.spec.memoryMb ||
      spec.timeoutSeconds !== this.spec.timeoutSeconds ||
      JSON.stringify(spec.environment) !== JSON.stringify(this.spec.environment);
    this.spec = spec;
    this.slots.setLimit(this.concurrencyLimit());
    if (codeChanged) {
      this.generation += 1;
      for (const instance of this.idle.splice(0)) this.retire(instance);
    }
  }

  /** Throttle check for a synchronous call: the error to answer with, or undefined with a slot taken. */
  admitSync(): TooManyRequestsError | undefined {
    if (decideThrottle(this.faults, this.context.random) || !this.slots.tryAcquire()) {
      this.counters.throttled += 1;
      this.context.emit("throttled", { function: this.spec.name, invocationType: "RequestResponse" });
      return new TooManyRequestsError(
        this.hasReservedConcurrency()
          ? "ReservedFunctionConcurrentInvocationLimitExceeded"
          : "ConcurrentInvocationLimitExceeded",
      );
    }
    return undefined;
  }

  /** Throttle check for a queued event: reserved concurrency 0, or an injected throttle. */
  throttledAsync(): boolean {
    const throttled = this.slots.limit === 0 || decideThrottle(this.faults, this.context.random);
    if (throttled) {
      this.counters.throttled += 1;
      this.context.emit("throttled", { function: this.spec.name, invocationType: "Event" });
    }
    return throttled;
  }

  hasReservedConcurrency(): boolean {
    return this.spec.reservedConcurrency !== undefined && this.spec.reservedConcurrency !== null;
  }

  /** Runs one invocation. The caller holds one of `slots` and releases it afterwards. */
  async execute(
    requestId: string,
    event: string,
    invocationType: "RequestResponse" | "Event",
    clientContext?: unknown,
  ): Promise<Execution> {
    const { logs } = this.context;
    const spec = this.spec;
    this.counters.started += 1;
    this.context.emit("invocationStart", { function: spec.name, requestId, invocationType });
    logs.beginCapture(requestId);
    if ((this.faults.latencyMs ?? 0) > 0) await sleep(this.faults.latencyMs);

    const timeoutMs = spec.timeoutSeconds * 1000;
    const taken = await this.takeInstance(requestId, timeoutMs);
    const { initDurationMs, initInInvokeMs } = taken;
    this.log(requestId, platformLines.start(requestId));
    let result: InvocationResult;
    // An init past the init limit ran as part of this invocation: its time is in Duration.
    let durationMs = initInInvokeMs;
    let maxMemoryUsedMb: number | undefined;
    if (taken.instance === undefined) {
      result = taken.failure;
    } else {
      const { instance } = taken;
      const fault = decideRunFault(this.faults, this.context.random);
      const outcome = await instance.invoke({
        requestId,
        event,
        invokedFunctionArn: this.arn,
        timeoutMs,
        remainingMs: timeoutMs - initInInvokeMs,
        clientContext,
        injectError: fault.kind === "error" ? fault.error : undefined,
        hang: fault.kind === "timeout",
      });
      result = capResponse(outcome.result);
      durationMs += outcome.durationMs;
      maxMemoryUsedMb = outcome.maxMemoryUsedMb;
      this.giveBack(instance, outcome.reusable);
    }
    if (result.kind === "error" && result.status === "timeout") {
      const seconds = spec.timeoutSeconds.toFixed(2);
      this.log(requestId, `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
    }
    this.log(requestId, platformLines.end(requestId));
    this.log(
      requestId,
      platformLines.report(requestId, {
        durationMs,
        memoryMb: spec.memoryMb,
        maxMemoryUsedMb,
        initDurationMs,
        status: reportStatus(result),
        errorType: result.kind === "error" ? result.error.errorType : undefined,
      }),
    );
    const logTail = logs.endCapture(requestId);
    if (result.kind === "success") this.counters.succeeded += 1;
    else this.counters.failed += 1;
    this.context.emit("invocationEnd", { function: spec.name, requestId, invocationType, result });
    return { requestId, result, logTail };
  }

  stats(): FunctionStats["invocations"] & { live: number; busy: number; coldStarts: number } {
    const { started, succeeded, failed, throttled, coldStarts } = this.counters;
    return {
      started,
      succeeded,
      failed,
      throttled,
      coldStarts,
      live: this.instances.size,
      busy: this.instances.size - this.idle.length,
    };
  }

  /** Process ids of the live instances (for tests and diagnostics). */
  pids(): number[] {
    return [...this.instances].flatMap((instance) => (instance.pid === undefined ? [] : [instance.pid]));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.idle.length = 0;
    for (const instance of this.instances) this.retire(instance);
    await Promise.all([...this.dying]);
  }

  private concurrencyLimit(): number {
    return this.hasReservedConcurrency() ? (this.spec.reservedConcurrency ?? 0) : this.context.maxConcurrency;
  }

  /**
   * A warm instance, or a new one once its init is done. Lambda limits the on-demand init phase to
   * `initLimitMs` (10 s); when an init takes longer, AWS runs it again inside the first invoke, under the
   * function's timeout. So here an init slower than the limit is not an error: the invocation waits for it
   * and its time counts against the function timeout (`initInInvokeMs`). Only when init (and then the
   * handler) runs past the timeout does the invocation fail, with Sandbox.Timedout.
   */
  private async takeInstance(requestId: string, timeoutMs: number): Promise<TakenInstance> {
    let warm = this.idle.pop();
    while (warm !== undefined && !warm.alive) {
      this.instances.delete(warm);
      warm = this.idle.pop();
    }
    if (warm !== undefined) return { instance: warm, initDurationMs: undefined, initInInvokeMs: 0 };
    if (this.stopped) {
      const error = {
        errorType: "Runtime.ServiceStopped",
        errorMessage: "The local Lambda service is stopping",
      };
      return { instance: undefined, initInInvokeMs: 0, failure: { kind: "error", status: "error", error } };
    }
    const instance = new Instance(newLogStreamName(), {
      codeDir: this.spec.codeDir,
      env: this.environment(),
      onLog: (requestId, text) => this.log(requestId, text),
    });
    this.counters.coldStarts += 1;
    this.instances.add(instance);
    this.generationOf.set(instance, this.generation);
    const limitMs = this.context.initLimitMs;
    const initStarted = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const init = await Promise.race([
      instance.ready,
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(limitMs, timeoutMs));
      }),
    ]);
    clearTimeout(timer);
    if (init === "timeout") {
      this.retire(instance);
      const seconds = (timeoutMs / 1000).toFixed(2);
      return {
        instance: undefined,
        initInInvokeMs: performance.now() - initStarted,
        failure: {
          kind: "error",
          status: "timeout",
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
          },
        },
      };
    }
    if (!init.ok) {
      this.retire(instance);
      return {
        instance: undefined,
        initInInvokeMs: 0,
        failure: { kind: "error", status: "error", error: init.error ?? unknownError() },
      };
    }
    if (init.initDurationMs <= limitMs) {
      return { instance, initDurationMs: init.initDurationMs, initInInvokeMs: 0 };
    }
    return { instance, initDurationMs: undefined, initInInvokeMs: init.initDurationMs };
  }

  private giveBack(instance: Instance, reusable: boolean): void {
    if (reusable && instance.alive && !this.stopped && this.generationOf.get(instance) === this.generation) {
      this.idle.push(instance);
    } else {
      this.retire(instance);
    }
  }

  private retire(instance: Instance): void {
    this.instances.delete(instance);
    const closed = instance.kill();
    this.dying.add(closed);
    void closed.then(() => this.dying.delete(closed));
  }

  private log(requestId: string | undefined, text: string): void {
    this.context.logs.write(this.spec.name, requestId, text);
  }

  /** Lambda's environment for an instance, below which the service-wide and function variables sit. */
  private environment(): Record<string, string> {
    const { spec, context } = this;
    const { credentials } = context;
    return {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      ...context.environment,
      ...spec.environment,
      _HANDLER: spec.handler,
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
      AWS_REGION: context.region,
      AWS_DEFAULT_REGION: context.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
      LAMBDA_TASK_ROOT: spec.codeDir,
      LAMBDA_RUNTIME_DIR: dirname(runtimeDir),
    };
  }
}

type TakenInstance =
  | { instance: Instance; initDurationMs: number | undefined; initInInvokeMs: number }
  | { instance: undefined; initDurationMs?: undefined; initInInvokeMs: number; failure: InvocationResult };

/** REPORT carries a Status only when the platform, not the handler, ended the invocation. */
function reportStatus(result: InvocationResult): "timeout" | "error" | undefined {
  if (result.kind !== "error") return undefined;
  if (result.status === "timeout") return "timeout";
  return /^(Runtime|Sandbox|Function)\./.test(result.error.errorType) ? "error" : undefined;
}

function unknownError(): FunctionErrorBody {
  return { errorType: "Runtime.Unknown", errorMessage: "Unknown application error occurred" };
}

function capResponse(result: InvocationResult): InvocationResult {
  if (result.kind !== "success" || Buffer.byteLength(result.payload) <= MAX_RESPONSE_BYTES) return result;
  return {
    kind: "error",
    status: "error",
    error: {
      errorType: "Function.ResponseSizeTooLarge",
      errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
    },
  };
}
