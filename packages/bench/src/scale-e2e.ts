import { createReadStream, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createStore, readJob, readJobStatus } from "@fanout/job-state";
import { submitToMain, sumCapacity, sumRequests } from "@fanout/local-stack";
import { type Settings, sampleNames } from "@fanout/tooling";
import { settingsWith } from "./bench-settings.ts";
import { jsonOf, type LogRecord, reportOf } from "./logs.ts";
import { peaksByName, sampleTrees } from "./proc-stats.ts";
import { startRemoteStack } from "./remote-stack.ts";

export interface ScaleEndToEnd {
  tasks: number;
  latencyMs: number;
  /** Jobs the tasks were submitted as (one inline job while it fits main's 6 MB request). */
  jobs: number;
  jobBytes: number;
  succeeded: number;
  failed: number;
  /** From invoking main to the job's finishedAt. */
  wallSeconds: number;
  tasksPerSecond: number;
  /** main's invocation: start to its "job enqueued" line. */
  enqueueSeconds: number;
  /** Every task ran exactly once (one "worker received" line per task index, none missing) and succeeded. */
  exact: boolean;
  /** Tasks the worker ran more than once, and tasks it never ran. */
  ranTwice: number;
  neverRan: number;
  /** [seconds since submit, tasks completed] from the worker's REPORT lines of the runs that ran a task. */
  completed: [number, number][];
  /** Peak RSS per process name (function instances by function name; "stack" = emulators + Lambda service). */
  peaks: { name: string; peakRssMb: number; processes: number }[];
  /** "Max Memory Used" of the REPORT lines, per function: the largest. */
  reportedMaxMemoryMb: Record<string, number>;
  memoryMb: Record<string, number>;
  cpu: { cpuPercent: number; machineBusyPercent: number; cores: number };
  /** Requests per task by Service.Operation, from the functions' own counts (as e2e.ts sums them). */
  requestsPerTask: Record<string, number>;
  /** DynamoDB capacity units per task by item kind and use, as the functions' clients measured them. */
  unitsPerTask?: Record<string, number>;
  /** Mean billed ms of a worker run and the consumers' total billed ms. */
  workerBilledMs: number;
  consumerBilledMs: number;
  consumerRuns: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Streams a function's log file (a 100,000-task worker log is far too big for one string). */
async function eachRecord(logDir: string, fn: string, visit: (r: LogRecord) => void): Promise<void> {
  const file = join(logDir, `${fn}.log`);
  if (!existsSync(file)) return;
  const lines = createInterface({
    input: createReadStream(file, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) if (line) visit(JSON.parse(line) as LogRecord);
}

/**
 * A worker line's usage: its requests and the capacity units they consumed (kept apart from the rest of
 * the line, 100,000 of them). Until 2026-12-07 only `requests` was kept, so the AWS model priced a task's
 * DynamoDB writes at the consumer's and main's units alone: 1.27 write units a task where 4.3 were spent.
 */
export function usageOf(line: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!line.requests && !line.capacity) return undefined;
  return { requests: line.requests, capacity: line.capacity };
}

/** Downsamples sorted completion times to at most `points` steps of the cumulative count. */
export function completionCurve(times: readonly number[], points = 200): [number, number][] {
  const sorted = [...times].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const step = Math.max(1, Math.floor(sorted.length / points));
  const out: [number, number][] = [[0, 0]];
  for (let i = step - 1; i < sorted.length; i += step)
    out.push([Number(((sorted[i] ?? 0) / 1000).toFixed(2)), i + 1]);
  const lastTime = Number(((sorted.at(-1) ?? 0) / 1000).toFixed(2));
  if (out.at(-1)?.[1] !== sorted.length) out.push([lastTime, sorted.length]);
  return out;
}

/**
 * A large job end to end through `main` (schedule on, nudge on, the real worker), with the settings'
 * `max_tasks_per_job` raised to the job's size: wall time, tasks/s, whether every task ran exactly once
 * (from the worker's log lines, as e2e.ts reads them), tasks completed over time, and the peak RSS of every
 * process of the stack.
 */
export async function measureScaleEndToEnd(options: {
  tasks: number;
  latencyMs: number;
  settings: Settings;
  timeoutSeconds: number;
  log: (line: string) => void;
}): Promise<ScaleEndToEnd> {
  const settings = settingsWith(options.settings, {
    max_tasks_per_job: Math.max(options.settings.max_tasks_per_job, options.tasks),
  });
  const logDir = mkdtempSync(join(tmpdir(), "fanout-bench-scale-e2e-"));
  const stack = await startRemoteStack({ latencyMs: options.latencyMs, schedule: true, logDir, settings });
  try {
    Object.assign(process.env, stack.env);
    const store = createStore({
      tableName: stack.resources.tableName,
      ttlSeconds: settings.dedup.ttl_seconds,
    });
    const jobId = `bench-scale-e2e-${Date.now()}`;
    const job = { jobId, names: sampleNames(options.tasks).map((name) => ({ name })) };
    const jobBytes = Buffer.byteLength(JSON.stringify(job));
    if (jobBytes > 6_000_000)
      throw new Error(`a ${options.tasks}-task job is ${jobBytes} bytes: over main's 6 MB`);
    const sampler = sampleTrees([
      { pid: stack.pid, role: "stack", tree: true },
      { pid: process.pid, role: "bench", tree: false },
    ]);
    const started = Date.now();
    await submitToMain(stack, job);
    options.log(
      `  e2e: main accepted ${options.tasks} tasks after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const deadline = started + options.timeoutSeconds * 1000;
    let lastLog = Date.now();
    let finishedAt: number | undefined;
    // No task final for this long: the run is stuck (e.g. broken zips); fail instead of waiting out the deadline.
    const stallMs = 180_000;
    let lastFinal = 0;
    let lastProgress = Date.now();
    for (;;) {
      // The job record alone (one GetItem): a status read of every counter shard would load the emulator.
      const info = await readJob(store, jobId);
      if (info?.finishedAt !== undefined) {
        finishedAt = info.finishedAt;
        break;
      }
      if (Date.now() > deadline) throw new Error(`job not finished after ${options.timeoutSeconds} s`);
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        const s = await readJobStatus(store, jobId);
        const final = s.succeeded + s.failed + s.cancelled;
        options.log(`  e2e: ${final}/${s.total} final, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        if (final > lastFinal) {
          lastFinal = final;
          lastProgress = Date.now();
        } else if (Date.now() - lastProgress > stallMs)
          throw new Error(
            `no task became final for ${stallMs / 1000} s (${final}/${s.total} final): see ${logDir}`,
          );
      }
      await sleep(1_000);
    }
    const status = await readJobStatus(store, jobId);
    store.client.destroy();
    const cpu = sampler.stop();
    await stack.idle();
    // Log lines land a moment after their invocation ends.
    await sleep(1_000);

    const names = stack.names;
    const runs = new Map<string, number>();
    const taskOfRequest = new Map<string, string>();
    const doneAt: number[] = [];
    const reports = new Map<string, number>();
    const reportedMaxMemoryMb: Record<string, number> = {};
    const lines: Record<string, unknown>[] = [];
    let workerBilled = 0;
    let workerRuns = 0;
    await eachRecord(logDir, names.workerFunction, (r) => {
      const rep = reportOf(r.message);
      if (rep) {
        if (r.requestId) reports.set(r.requestId, Date.parse(r.time));
        workerBilled += rep.billedMs;
        workerRuns += 1;
        reportedMaxMemoryMb.worker = Math.max(reportedMaxMemoryMb.worker ?? 0, rep.maxMemoryMb);
        return;
      }
      const line = jsonOf(r);
      if (!line) return;
      const usage = usageOf(line);
      if (usage) lines.push(usage);
      if (line.jobId !== jobId || !String(line.message ?? "").startsWith("worker received name = ")) return;
      const key = String(line.taskId);
      runs.set(key, (runs.get(key) ?? 0) + 1);
      if (r.requestId) taskOfRequest.set(r.requestId, key);
    });
    for (const [requestId] of taskOfRequest) {
      const t = reports.get(requestId);
      if (t !== undefined) doneAt.push(t - started);
    }
    let mainStart = Number.NaN;
    let enqueuedAt = Number.NaN;
    let consumerBilled = 0;
    let consumerRuns = 0;
    await eachRecord(logDir, names.mainFunction, (r) => {
      if (r.message.startsWith("START") && Number.isNaN(mainStart)) mainStart = Date.parse(r.time);
      const rep = reportOf(r.message);
      if (rep) reportedMaxMemoryMb.main = Math.max(reportedMaxMemoryMb.main ?? 0, rep.maxMemoryMb);
      const line = jsonOf(r);
      if (line?.message === "job enqueued") {
        enqueuedAt = Date.parse(String(line.timestamp ?? r.time));
        lines.push(line);
      }
    });
    await eachRecord(logDir, names.consumerFunction, (r) => {
      const rep = reportOf(r.message);
      if (rep) {
        consumerBilled += rep.billedMs;
        consumerRuns += 1;
        reportedMaxMemoryMb.consumer = Math.max(reportedMaxMemoryMb.consumer ?? 0, rep.maxMemoryMb);
      }
      const line = jsonOf(r);
      if (line?.message === "consumer run finished") lines.push(line);
    });
    const counts = sumRequests(lines);
    const ranTwice = [...runs.values()].filter((n) => n > 1).length;
    const neverRan = options.tasks - runs.size;
    const wallSeconds = ((finishedAt ?? Date.now()) - started) / 1000;
    const fns = settings.functions;
    return {
      tasks: options.tasks,
      latencyMs: options.latencyMs,
      jobs: 1,
      jobBytes,
      succeeded: status.succeeded,
      failed: status.failed,
      wallSeconds,
      tasksPerSecond: options.tasks / wallSeconds,
      enqueueSeconds: (enqueuedAt - mainStart) / 1000,
      exact: ranTwice === 0 && neverRan === 0 && status.succeeded === options.tasks,
      ranTwice,
      neverRan,
      completed: completionCurve(doneAt),
      peaks: peaksByName(cpu.peaks),
      reportedMaxMemoryMb,
      memoryMb: { main: fns.main.memory_mb, consumer: fns.consumer.memory_mb, worker: fns.worker.memory_mb },
      cpu: { cpuPercent: cpu.cpuPercent, machineBusyPercent: cpu.machineBusyPercent, cores: cpu.cores },
      requestsPerTask: Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, n / options.tasks])),
      unitsPerTask: Object.fromEntries(
        Object.entries(sumCapacity(lines)).map(([k, n]) => [k, n / options.tasks]),
      ),
      workerBilledMs: workerRuns > 0 ? workerBilled / workerRuns : 0,
      consumerBilledMs: consumerBilled,
      consumerRuns,
    };
  } finally {
    await stack.stop();
  }
}
