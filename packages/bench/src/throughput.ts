import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { billedDurations, mean, readLog } from "./logs.ts";
import { type ConsumerRun, runOurConsumer } from "./ours.ts";
import { startRemoteStack } from "./remote-stack.ts";
import { runBaselineConsumer, runBaselineEnqueue } from "./seed-run.ts";
import { fillQueue, taskBodies, writeSeedWorker } from "./workload.ts";

export interface ThroughputCell {
  latencyMs: number;
  tasks: number;
  round: number;
  ours: ConsumerRun;
  baseline: ConsumerRun;
  /** ours / baseline tasks per second. */
  ratio: number;
}

export interface SeedEnqueue {
  latencyMs: number;
  tasks: number;
  msPerTask: number;
  requests: Record<string, number>;
}

export interface ThroughputResult {
  cells: ThroughputCell[];
  seedEnqueue: SeedEnqueue[];
  /** Mean billed ms of the seed worker (prints the name), per latency. */
  seedWorkerBilledMs: Record<number, number>;
}

export interface ThroughputOptions {
  sizes: number[];
  latencies: number[];
  rounds: number;
  /** Tasks the seed's main enqueues one by one to measure its requests and time per task. */
  enqueueSample: number;
  settingsPath?: string;
  log: (line: string) => void;
}

const fmt = (r: ConsumerRun) =>
  `${r.tasksPerSecond.toFixed(1)} tasks/s (${r.tasks} in ${r.seconds.toFixed(1)} s)`;

/**
 * Our consumer and the seed's, over the same queue sizes against the same servers, alternating (ours,
 * then the seed's, for each size and round), once per latency. Both run in this process; the stack runs
 * in a child process; the worker is the seed's (it only prints), so worker runs cost both the same.
 */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const cells: ThroughputCell[] = [];
  const seedEnqueue: SeedEnqueue[] = [];
  const seedWorkerBilledMs: Record<number, number> = {};
  for (const latencyMs of options.latencies) {
    const logDir = mkdtempSync(join(tmpdir(), `fanout-bench-${latencyMs}ms-`));
    const stack = await startRemoteStack({
      latencyMs,
      schedule: false,
      logDir,
      ...(options.settingsPath ? { settingsPath: options.settingsPath } : {}),
    });
    try {
      Object.assign(process.env, stack.env);
      const worker = stack.names.workerFunction;
      await stack.configure(worker, { codeDir: writeSeedWorker(join(logDir, "seed-worker")) });
      const ours = {
        tasksQueueUrl: stack.resources.tasksQueueUrl,
        tableName: stack.resources.tableName,
        workerFunctionName: worker,
        settings: stack.settings,
      };
      const seed = {
        tasksQueueUrl: stack.resources.tasksQueueUrl,
        queueName: stack.names.tasksQueue,
        tableName: stack.resources.tableName,
        workerFunctionName: worker,
      };
      for (const tasks of options.sizes) {
        for (let round = 1; round <= options.rounds; round++) {
          const tag = `${latencyMs}ms-${tasks}-r${round}`;
          await fillQueue(stack.resources.tasksQueueUrl, taskBodies(`bench-ours-${tag}`, tasks));
          const o = await runOurConsumer(ours, tasks);
          options.log(`  ${latencyMs} ms, ${tasks} tasks, round ${round}: ours     ${fmt(o)}`);
          await stack.idle();
          await fillQueue(stack.resources.tasksQueueUrl, taskBodies(`bench-seed-${tag}`, tasks));
          const b = await runBaselineConsumer(seed, tasks);
          options.log(`  ${latencyMs} ms, ${tasks} tasks, round ${round}: baseline ${fmt(b)}`);
          await stack.idle();
          cells.push({
            latencyMs,
            tasks,
            round,
            ours: o,
            baseline: b,
            ratio: o.tasksPerSecond / b.tasksPerSecond,
          });
        }
      }
      const sample = taskBodies(`bench-seed-enqueue-${latencyMs}ms`, options.enqueueSample);
      seedEnqueue.push({ latencyMs, ...(await runBaselineEnqueue(seed, sample)) });
      seedWorkerBilledMs[latencyMs] = mean(billedDurations(readLog(logDir, worker)));
    } finally {
      await stack.stop();
    }
  }
  return { cells, seedEnqueue, seedWorkerBilledMs };
}
