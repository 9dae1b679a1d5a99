import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryOutput, run as runCli } from "@fanout/cli";
import { createStore, readJobStatus } from "@fanout/job-state";
import { collectLogs, ensureBuilt, functionEnvironment, startStack, submitToMain } from "@fanout/local-stack";
import { createSqsClient, queueDepth } from "@fanout/queue";
import { sampleNames } from "@fanout/tooling";
import { Prng } from "./prng.ts";

export interface StackChaosOptions {
  tasks: number;
  seed: number;
  /** How long processes are killed and emulators paused after the job is submitted. */
  chaosSeconds: number;
  /** Give up waiting for the job this long after the chaos ends. */
  settleSeconds: number;
  /** Local speed factor for Lambda's retry delays and the schedule (1 = as on AWS). */
  speed: number;
  log: (line: string) => void;
}

export interface StackChaosReport {
  tasks: number;
  succeeded: number;
  failed: number;
  actions: Record<string, number>;
  /** The documented recovery command, when it was needed. */
  recovery: string | null;
  /** Tasks whose handler completed (logged "task succeeded") more than once. */
  succeededTwice: number;
  /** Worker invocations Lambda accepted beyond one per task. */
  extraDispatches: number;
  seconds: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `pnpm chaos --stack`: the whole local stack as a person runs it (real processes, the built zips), a job of
 * `tasks` tasks, and meanwhile, at seeded moments, SIGKILL of random worker and consumer processes, both
 * emulators frozen for seconds, and the consumer restarted (redeployed). Then: wait for the job; if it is
 * not done once everything is quiet, run the one documented recovery command (`fanout failed redrive`)
 * after the leases have ended; and check every task SUCCEEDED and none ran to completion twice.
 */
export async function stackChaos(options: StackChaosOptions): Promise<StackChaosReport> {
  const prng = new Prng(options.seed);
  ensureBuilt({ quiet: true });
  const stack = await startStack({
    sqsPort: 0,
    dynamoPort: 0,
    lambdaPort: 0,
    speed: options.speed,
    output: null,
    logDir: mkdtempSync(join(tmpdir(), "fanout-stack-chaos-")),
  });
  const logs = collectLogs(stack.lambda);
  const started = Date.now();
  const actions: Record<string, number> = {};
  const act = (kind: string) => {
    actions[kind] = (actions[kind] ?? 0) + 1;
  };
  // The process may have ended between listing and killing it (ESRCH): then nothing was killed.
  const kill = (pid: number, kind: string) => {
    try {
      process.kill(pid, "SIGKILL");
      act(kind);
    } catch (error) {
      if ((error as { code?: string }).code !== "ESRCH") throw error;
    }
  };
  try {
    Object.assign(process.env, stack.env);
    const jobId = `stack-chaos-${options.seed}`;
    const job = { jobId, names: sampleNames(options.tasks).map((name) => ({ name })) };
    await submitToMain(stack, job);
    options.log(`submitted ${jobId} (${options.tasks} tasks); chaos for ${options.chaosSeconds} s`);

    const chaosEnd = Date.now() + options.chaosSeconds * 1000;
    let restarts = 0;
    while (Date.now() < chaosEnd) {
      await sleep(prng.int(500, 2_500));
      const roll = prng.float();
      if (roll < 0.45) {
        const pids = stack.lambda.pids(stack.names.workerFunction);
        if (pids.length === 0) continue;
        kill(prng.pick(pids), "worker process killed");
      } else if (roll < 0.75) {
        const pids = stack.lambda.pids(stack.names.consumerFunction);
        if (pids.length === 0) continue;
        kill(prng.pick(pids), "consumer process killed");
      } else if (roll < 0.9) {
        const ms = prng.int(2_000, 8_000);
        stack.pauseEmulators(ms);
        act("emulators paused");
        options.log(`emulators paused for ${ms} ms`);
      } else {
        // A redeploy: instances started under the old configuration retire once idle.
        stack.lambda.configure(stack.names.consumerFunction, {
          environment: {
            ...functionEnvironment("consumer", stack.settings, stack.resources),
            RESTART: String(++restarts),
          },
        });
        act("consumer restarted");
      }
    }
    options.log(`chaos over: ${JSON.stringify(actions)}`);

    const store = createStore({
      tableName: stack.resources.tableName,
      ttlSeconds: stack.settings.dedup.ttl_seconds,
    });
    const sqs = createSqsClient();
    const quiet = async () => {
      const depth = await queueDepth(sqs, stack.resources.tasksQueueUrl);
      const worker = stack.lambda.stats()[stack.names.workerFunction];
      return depth.visible + depth.inFlight + depth.delayed === 0 && (worker?.async.depth ?? 0) === 0;
    };
    let recovery: string | null = null;
    const deadline = Date.now() + options.settleSeconds * 1000;
    let status = await readJobStatus(store, jobId);
    let quietSince: number | undefined;
    while (!(status.done && (await quiet())) && Date.now() < deadline) {
      await sleep(1_000);
      status = await readJobStatus(store, jobId);
      if (status.done || recovery) continue;
      quietSince = (await quiet()) ? (quietSince ?? Date.now()) : undefined;
      // Quiet, not done: the tasks left are in the failed-task queue or RUNNING under a dead worker's lease.
      // Wait for those leases (worker timeout + 30 s, plus the redrive's 60 s clock-skew margin), then recover.
      const leaseMs = (stack.settings.functions.worker.timeout_seconds + 30 + 60) * 1000;
      if (
        quietSince !== undefined &&
        Date.now() - quietSince > Math.min(leaseMs, 30_000) &&
        Date.now() - chaosEnd > leaseMs
      ) {
        recovery = "pnpm fanout failed redrive";
        const out = memoryOutput();
        const code = await runCli(["failed", "redrive"], { stdout: out, stderr: out, stdin: process.stdin });
        options.log(
          `ran the recovery command (${recovery}): exit ${code}\n${out.text().trim().split("\n").slice(-1)[0]}`,
        );
      }
    }
    stack.stopSchedule();
    await Promise.race([stack.lambda.idle(), sleep(30_000)]);
    const successes = new Map<string, number>();
    for (const line of logs.lines(stack.names.workerFunction))
      if (line.message === "task succeeded")
        successes.set(String(line.taskId), (successes.get(String(line.taskId)) ?? 0) + 1);
    const succeededTwice = [...successes.values()].filter((n) => n > 1).length;
    const dispatched = stack.lambda.stats()[stack.names.workerFunction]?.async.enqueued ?? 0;
    const report: StackChaosReport = {
      tasks: status.total,
      succeeded: status.succeeded,
      failed: status.failed,
      actions,
      recovery,
      succeededTwice,
      extraDispatches: Math.max(0, dispatched - status.total),
      seconds: Math.round((Date.now() - started) / 1000),
      ok: status.succeeded === status.total && succeededTwice === 0,
    };
    return report;
  } finally {
    logs.stop();
    await stack.stop();
  }
}
