import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { localCredentials } from "@fanout/emulators";
import type { Settings } from "@fanout/tooling";
import { settingsWith } from "./bench-settings.ts";
import { sampleTrees, type TreeSample } from "./proc-stats.ts";
import { type RemoteStack, startRemoteStack } from "./remote-stack.ts";
import { fillQueue, taskBodies, writeSeedWorker } from "./workload.ts";

/**
 * How N concurrent consumer runs come about (`consumer.max_parallel = N` run slots either way):
 * `invoke-n` invokes the consumer function N times at once, with scale-out kept from starting runs of its
 * own; `self-scale` invokes it once and leaves the rest to the consumer's own scale-out (ADR 0013: the
 * lowest run slot self-invokes runs while the backlog exceeds `scale_out_backlog` per run). Either way a
 * bench invoke that returns while tasks remain (a run ends at its time budget) is made again at once, as the
 * schedule would at its next tick.
 */
export type ScaleMode = "invoke-n" | "self-scale";

export interface ScaleOutCell {
  consumers: number;
  /** Tasks put in the queue (and, when `complete`, all dispatched). */
  tasks: number;
  dispatched: number;
  /** From the first consumer invoke to the last worker invoke accepted by Lambda. */
  seconds: number;
  tasksPerSecond: number;
  /** Consumer invocations started by the bench (self-scale: 1; the consumer's own show in `consumerRuns`). */
  benchInvokes: number;
  /** Consumer invocations the local Lambda started during the cell. */
  consumerRuns: number;
  complete: boolean;
  /** Why the cell ended before every task was dispatched. */
  note?: string;
  /** `otherPercent`: CPU of processes outside the stack and the bench (other work on this machine), % of a core. */
  cpu: Pick<TreeSample, "cpuPercent" | "machineBusyPercent" | "cores"> & { otherPercent: number };
  /** [seconds since start, tasks dispatched] every ~250 ms. */
  timeline: [number, number][];
}

export interface ScaleOutResult {
  mode: ScaleMode;
  latencyMs: number;
  tasksPerConsumer: number;
  cells: ScaleOutCell[];
}

export interface ScaleOutOptions {
  consumers: number[];
  tasksPerConsumer: number;
  latencyMs: number;
  mode: ScaleMode;
  settings: Settings;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Consumer dispatch rate with 1, 2, 4, 8 … concurrent consumer runs, at a fixed request latency (so the
 * rate is bound by round trips, not by this machine's CPU): for each N, a fresh stack, M = N × tasks per
 * consumer valid task messages in the queue, the consumer function invoked through the local Lambda
 * endpoint, and the worker invokes Lambda accepted counted (`async.enqueued` of the worker) until all M
 * are dispatched. The worker is the seed's print-only worker, so worker runs cost little CPU.
 */
export async function measureScaleOut(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const cells: ScaleOutCell[] = [];
  for (const n of options.consumers) {
    const settings = settingsWith(options.settings, {
      consumer: {
        // N run slots either way (a run without a slot ends at once: "no-slot").
        max_parallel: n,
        // invoke-n: the bench's N runs only, no self-started ones (want = ceil(visible / 1,000,000) = 1).
        // self-scale: the settings' backlog per run, lowered so that even a quick cell asks for N runs.
        scale_out_backlog:
          options.mode === "invoke-n"
            ? 1_000_000
            : Math.max(
                10,
                Math.min(
                  options.settings.consumer.scale_out_backlog,
                  Math.floor(options.tasksPerConsumer / 2),
                ),
              ),
      },
    });
    const logDir = mkdtempSync(join(tmpdir(), `fanout-bench-scale-${n}-`));
    const stack = await startRemoteStack({
      latencyMs: options.latencyMs,
      schedule: false,
      logDir,
      settings,
      maxConcurrency: Math.max(16, n + 8),
    });
    try {
      const cell = await runCell(stack, n, options);
      options.log(
        `  scale-out ${options.mode}, ${n} consumer${n > 1 ? "s" : ""}: ${cell.tasksPerSecond.toFixed(1)} tasks/s (${cell.dispatched}/${cell.tasks} in ${cell.seconds.toFixed(1)} s), CPU: stack+bench ${cell.cpu.cpuPercent.toFixed(0)} % of a core, other processes ${cell.cpu.otherPercent.toFixed(0)} %, machine ${cell.cpu.machineBusyPercent.toFixed(0)} % of ${cell.cpu.cores} cores${cell.note ? `; ${cell.note}` : ""}`,
      );
      cells.push(cell);
    } finally {
      await stack.stop();
    }
  }
  return {
    mode: options.mode,
    latencyMs: options.latencyMs,
    tasksPerConsumer: options.tasksPerConsumer,
    cells,
  };
}

async function runCell(stack: RemoteStack, n: number, options: ScaleOutOptions): Promise<ScaleOutCell> {
  Object.assign(process.env, stack.env);
  const worker = stack.names.workerFunction;
  const consumer = stack.names.consumerFunction;
  await stack.configure(worker, { codeDir: writeSeedWorker(join(stack.logDir, "seed-worker")) });
  const tasks = n * options.tasksPerConsumer;
  await fillQueue(stack.resources.tasksQueueUrl, taskBodies(`bench-scale-${n}-${Date.now()}`, tasks));
  const lambda = new LambdaClient({
    endpoint: stack.endpoints.lambda,
    region: stack.settings.aws_region,
    credentials: localCredentials,
    maxAttempts: 1,
  });
  const before = await stack.stats();
  const enqueued0 = before[worker]?.async.enqueued ?? 0;
  const runs0 = before[consumer]?.invocations.started ?? 0;
  const sampler = sampleTrees([
    { pid: stack.pid, role: "stack", tree: true },
    { pid: process.pid, role: "bench", tree: false },
  ]);
  const started = performance.now();
  // Generous: a cell at 1/10 of linear still finishes; past it the cell reports what it dispatched.
  const deadline = started + Math.max(120_000, (tasks / Math.max(1, n)) * 50);
  let dispatched = 0;
  let finished: number | undefined;
  let note: string | undefined;
  let benchInvokes = 0;
  let consumerRuns = 0;
  const timeline: [number, number][] = [[0, 0]];
  const invokeOnce = async () => {
    benchInvokes += 1;
    const out = await lambda.send(new InvokeCommand({ FunctionName: consumer, Payload: Buffer.from("{}") }));
    if (out.FunctionError)
      throw new Error(
        `consumer run failed: ${Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8")}`,
      );
  };
  const done = () => finished !== undefined || note !== undefined;
  // invoke-n: N loops, each invoking again while tasks remain (a run ends at its time budget, 55 s with the
  // default settings, or on an empty receive), as the schedule would but at once.
  // self-scale: one loop; the consumer starts the other runs itself, and a run started again after the
  // budget scales out again.
  const loops = Array.from({ length: options.mode === "invoke-n" ? n : 1 }, async () => {
    while (!done()) await invokeOnce();
  });
  const failures = Promise.all(loops).catch((error: unknown) => {
    note ??= String(error);
  });
  let idleSince: number | undefined;
  while (!done()) {
    await sleep(250);
    const stats = await stack.stats();
    dispatched = (stats[worker]?.async.enqueued ?? 0) - enqueued0;
    consumerRuns = (stats[consumer]?.invocations.started ?? 0) - runs0;
    const now = performance.now();
    timeline.push([Number(((now - started) / 1000).toFixed(2)), dispatched]);
    if (dispatched >= tasks) finished = now;
    else if (now > deadline)
      note = `stopped at the cell's deadline (${((deadline - started) / 1000).toFixed(0)} s)`;
    else if (options.mode === "self-scale") {
      // No consumer running and none queued: nothing will dispatch the rest.
      const c = stats[consumer];
      const busy = (c?.instances.busy ?? 0) + (c?.async.depth ?? 0);
      if (busy > 0) idleSince = undefined;
      else if (idleSince === undefined) idleSince = now;
      else if (now - idleSince > 3_000)
        note = `no consumer run for 3 s with ${tasks - dispatched} tasks undispatched`;
    }
  }
  const cpu = sampler.stop();
  const end = finished ?? performance.now();
  const seconds = (end - started) / 1000;
  // Let the runs notice the empty queue and return before the stack stops (bounded: a run that is still
  // receiving ends within its long poll).
  await Promise.race([failures, sleep(30_000)]);
  lambda.destroy();
  return {
    consumers: n,
    tasks,
    dispatched,
    seconds,
    tasksPerSecond: dispatched / seconds,
    benchInvokes,
    consumerRuns,
    complete: finished !== undefined,
    ...(note ? { note } : {}),
    cpu: {
      cpuPercent: cpu.cpuPercent,
      machineBusyPercent: cpu.machineBusyPercent,
      cores: cpu.cores,
      otherPercent: Math.max(0, cpu.machineBusyPercent * cpu.cores - cpu.cpuPercent),
    },
    timeline,
  };
}

/** rate(N) / (N × rate(1)) for each cell; NaN without a 1-consumer cell. */
export function efficiencies(cells: readonly Pick<ScaleOutCell, "consumers" | "tasksPerSecond">[]): number[] {
  const one = cells.find((c) => c.consumers === 1)?.tasksPerSecond;
  return cells.map((c) => (one ? c.tasksPerSecond / (c.consumers * one) : Number.NaN));
}
