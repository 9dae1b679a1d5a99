import { type ChildProcess, fork } from "node:child_process";
import type { FanoutResources } from "@fanout/emulators";
import type { FunctionSpec, FunctionStats } from "@fanout/local-lambda";
import type { ResourceNames, Settings } from "@fanout/tooling";

export interface StackHostOptions {
  latencyMs: number;
  schedule: boolean;
  logDir: string;
  settingsPath?: string;
  /** Settings object (e.g. the file's with a bench's overrides); wins over `settingsPath`. */
  settings?: Settings;
  /** Concurrency cap per function without reserved concurrency. @default 16 (startStack's) */
  maxConcurrency?: number;
}

export interface StackInfo {
  settings: Settings;
  names: ResourceNames;
  resources: FanoutResources;
  endpoints: { sqs: string; dynamo: string; lambda: string };
  env: Record<string, string>;
}

export type HostRequest =
  | { type: "idle"; id: number }
  | { type: "stats"; id: number }
  | { type: "configure"; id: number; name: string; spec: Partial<Omit<FunctionSpec, "name">> }
  | { type: "deploy"; id: number; fn: "main" | "consumer" | "worker"; zipPath: string }
  | { type: "stop"; id: number };

export type HostReply =
  | { type: "ready"; info: StackInfo }
  | { type: "done"; id: number; value?: unknown }
  | { type: "error"; id: number; message: string };

/** A local stack (emulators with latency, local Lambda running the built zips) in a child process. */
export interface RemoteStack extends StackInfo {
  logDir: string;
  /** The stack process: its descendants are the function instances (for CPU and memory sampling). */
  pid: number;
  /** Resolves once every async invocation queue is empty. */
  idle(): Promise<void>;
  stats(): Promise<Record<string, FunctionStats>>;
  configure(name: string, spec: Partial<Omit<FunctionSpec, "name">>): Promise<void>;
  /** Replaces a function's code with a zip (new instances run it; as an update of its code does). */
  deploy(fn: "main" | "consumer" | "worker", zipPath: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startRemoteStack(options: StackHostOptions): Promise<RemoteStack> {
  const child: ChildProcess = fork(new URL("./stack-host.ts", import.meta.url), [JSON.stringify(options)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const info = await new Promise<StackInfo>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`stack process exited (${code}) before it was ready`)));
    child.on("message", (reply: HostReply) => {
      if (reply.type === "ready") return resolve(reply.info);
      const waiter = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.type === "error") waiter?.reject(new Error(reply.message));
      else waiter?.resolve(reply.value);
    });
  });
  const call = <T>(request: Omit<HostRequest, "id"> & { type: HostRequest["type"] }) =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...request, id });
    });
  let stopped: Promise<void> | undefined;
  return {
    ...info,
    logDir: options.logDir,
    pid: child.pid ?? 0,
    idle: () => call<void>({ type: "idle" }),
    stats: () => call<Record<string, FunctionStats>>({ type: "stats" }),
    configure: (name, spec) => call<void>({ type: "configure", name, spec } as HostRequest),
    deploy: (fn, zipPath) => call<void>({ type: "deploy", fn, zipPath } as HostRequest),
    stop() {
      stopped ??= (async () => {
        const exited = new Promise((r) => child.once("exit", r));
        await call<void>({ type: "stop" }).catch(() => undefined);
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
