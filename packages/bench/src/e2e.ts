import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { clientOptions } from "@fanout/core";
import { createStore, readJobStatus } from "@fanout/job-state";
import { byService, submitToMain, sumCapacity, sumRequests } from "@fanout/local-stack";
import { sampleNames } from "@fanout/tooling";
import { billedDurations, jsonLines, median, percentile, readLog } from "./logs.ts";
import { sampleTrees } from "./proc-stats.ts";
import { startRemoteStack } from "./remote-stack.ts";
import { type LargestItem, largestByKind } from "./table-items.ts";

export interface EndToEnd {
  latencyMs: number;
  tasks: number;
  succeeded: number;
  failed: number;
  /** From invoking main to every task final. */
  wallSeconds: number;
  tasksPerSecond: number;
  /** How long main took to validate, record and enqueue the job (its invocation). */
  enqueueSeconds: number;
  /** ms from main's "job enqueued" line to each task's first worker run ("worker received name" line). */
  startLatencyMs: { p50: number; p99: number; max: number };
  /** ms from the start of main's invocation to each worker run: an upper bound per task. */
  fromSubmitMs: { p50: number; p99: number };
  /** Requests per task by Service.Operation, as each function's SDK middleware counted them. */
  requestsPerTask: Record<string, number>;
  requestsPerTaskByService: Record<string, number>;
  /** Invocations and billed ms per function over the run. */
  lambda: Record<string, { invocations: number; billedMs: number; memoryMb: number }>;
  /**
   * DynamoDB capacity units per task as the functions' clients measured them, by item kind and use
   * (`task.write`, `job.read`, `job.index.model`, `task.refused`, ...): see `countCapacity` in `@fanout/core`.
   */
  unitsPerTask: Record<string, number>;
  /** The largest item of each kind in the table after the run, in DynamoDB's size accounting, with its key. */
  largestItems: Record<string, LargestItem>;
  /**
   * CPU ms per task of each process of the job, from /proc (Linux only, else empty): `stack` (the emulators
   * and the local Lambda service, one process) and each function's instances together (`main`, `consumer`,
   * `worker`), from main's invoke until the stack is idle. Lower bounds: an instance that started and ended
   * between two samples (250 ms apart) counts nothing.
   */
  cpuMsPerTask: Record<string, number>;
}

const when = (line: Record<string, unknown>) => Date.parse(String(line.timestamp));

/** A job of `tasks` names through the Lambda Invoke API of `main`, to every task final. */
export async function measureEndToEnd(options: {
  tasks: number;
  latencyMs: number;
  timeoutSeconds: number;
  settingsPath?: string;
  log: (line: string) => void;
}): Promise<EndToEnd> {
  const logDir = mkdtempSync(join(tmpdir(), "fanout-bench-e2e-"));
  const stack = await startRemoteStack({
    latencyMs: options.latencyMs,
    schedule: true,
    logDir,
    ...(options.settingsPath ? { settingsPath: options.settingsPath } : {}),
  });
  try {
    Object.assign(process.env, stack.env);
    const store = createStore({
      tableName: stack.resources.tableName,
      ttlSeconds: stack.settings.dedup.ttl_seconds,
    });
    const jobId = `bench-e2e-${Date.now()}`;
    const job = { jobId, names: sampleNames(options.tasks).map((name) => ({ name })) };
    const sampler = sampleTrees([{ pid: stack.pid, role: "stack", tree: true }], 250);
    const started = Date.now();
    await submitToMain(stack, job);
    const deadline = started + options.timeoutSeconds * 1000;
    let status = await readJobStatus(store, jobId);
    let lastLog = Date.now();
    while (!status.done) {
      if (Date.now() > deadline)
        throw new Error(`job not done after ${options.timeoutSeconds} s: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 100));
      status = await readJobStatus(store, jobId);
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        options.log(`  e2e: ${status.succeeded + status.failed}/${status.total} final`);
      }
    }
    const finished = Date.now();
    store.client.destroy();
    await stack.idle();
    const cpu = sampler.stop().cpu;

    const names = stack.names;
    const mainRecords = readLog(logDir, names.mainFunction);
    const consumerRecords = readLog(logDir, names.consumerFunction);
    const workerRecords = readLog(logDir, names.workerFunction);
    const mainLines = jsonLines(mainRecords);
    const workerLines = jsonLines(workerRecords);
    const enqueued = mainLines.find((l) => l.message === "job enqueued");
    if (!enqueued) throw new Error("main logged no 'job enqueued' line");
    const mainStart = Date.parse(mainRecords.find((r) => r.message.startsWith("START"))?.time ?? "");
    const firstRun = new Map<string, number>();
    for (const line of workerLines) {
      if (line.jobId !== jobId || !String(line.message ?? "").startsWith("worker received name = ")) continue;
      const taskId = String(line.taskId);
      if (!firstRun.has(taskId)) firstRun.set(taskId, when(line));
    }
    const starts = [...firstRun.values()];
    const fromEnqueue = starts.map((t) => t - when(enqueued));
    const fromSubmit = starts.map((t) => t - mainStart);
    const usageLines = [
      ...mainLines,
      ...jsonLines(consumerRecords).filter((l) => l.message === "consumer run finished"),
      ...workerLines,
    ];
    const counts = sumRequests(usageLines);
    const per = (c: Record<string, number>) =>
      Object.fromEntries(Object.entries(c).map(([k, n]) => [k, n / options.tasks]));
    const fns = stack.settings.functions;
    const lambdaFigures = Object.fromEntries(
      (
        [
          ["main", mainRecords, fns.main.memory_mb],
          ["consumer", consumerRecords, fns.consumer.memory_mb],
          ["worker", workerRecords, fns.worker.memory_mb],
        ] as const
      ).map(([fn, records, memoryMb]) => {
        const billed = billedDurations(records);
        return [fn, { invocations: billed.length, billedMs: billed.reduce((a, b) => a + b, 0), memoryMb }];
      }),
    );
    const roleOf: Record<string, string> = {
      [names.mainFunction]: "main",
      [names.consumerFunction]: "consumer",
      [names.workerFunction]: "worker",
    };
    const cpuMsPerTask = Object.fromEntries(
      cpu.map((c) => [roleOf[c.name] ?? c.name, c.cpuMs / options.tasks] as const),
    );
    const wallSeconds = (finished - started) / 1000;
    return {
      latencyMs: options.latencyMs,
      tasks: options.tasks,
      succeeded: status.succeeded,
      failed: status.failed,
      wallSeconds,
      tasksPerSecond: options.tasks / wallSeconds,
      enqueueSeconds: (when(enqueued) - mainStart) / 1000,
      startLatencyMs: {
        p50: percentile(fromEnqueue, 50),
        p99: percentile(fromEnqueue, 99),
        max: Math.max(...fromEnqueue),
      },
      fromSubmitMs: { p50: median(fromSubmit), p99: percentile(fromSubmit, 99) },
      requestsPerTask: per(counts),
      requestsPerTaskByService: per(byService(counts)),
      lambda: lambdaFigures,
      unitsPerTask: per(sumCapacity(usageLines)),
      largestItems: await largestItems(stack.resources.tableName),
      cpuMsPerTask,
    };
  } finally {
    await stack.stop();
  }
}

async function largestItems(tableName: string): Promise<Record<string, LargestItem>> {
  const db = new DynamoDBClient(clientOptions());
  try {
    return await largestByKind(db, tableName);
  } finally {
    db.destroy();
  }
}
