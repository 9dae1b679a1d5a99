import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { localCredentials } from "@fanout/emulators";
import { repoRoot } from "@fanout/local-stack";
import { median } from "./logs.ts";
import { sampleTrees } from "./proc-stats.ts";
import { startRemoteStack } from "./remote-stack.ts";
import { fillQueue, queuedMessages, taskBodies, writeSeedWorker } from "./workload.ts";

/** The consumer zip of an older commit, built in a temporary checkout (a git worktree) of it. */
export interface RefBuild {
  commit: string;
  consumerZip: string;
  /** Removes the checkout. */
  remove(): void;
}

/**
 * Checks `ref` out into a temporary worktree, installs its pinned toolchain and dependencies there (its own
 * `scripts/toolchain.mjs`, as a fresh clone would) and builds its function zips. Throws naming the step and
 * its output when one fails; the checkout is removed then.
 */
export function buildRef(ref: string, log: (line: string) => void): RefBuild {
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8" }).trim();
  let commit: string;
  try {
    commit = git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  } catch {
    throw new Error(`--compare-ref ${ref}: not a commit of this repository`);
  }
  const dir = mkdtempSync(join(tmpdir(), `fanout-ref-${commit.slice(0, 7)}-`));
  git("worktree", "add", "--detach", "--force", dir, commit);
  const remove = () => {
    try {
      git("worktree", "remove", "--force", dir);
    } catch {
      // Already gone.
    }
  };
  const step = (what: string, args: string[]) => {
    log(`  ${commit.slice(0, 7)}: ${what}`);
    const out = spawnSync(process.execPath, ["scripts/toolchain.mjs", ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CI: "true", TURBO_TELEMETRY_DISABLED: "1" },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (out.status !== 0) {
      remove();
      throw new Error(
        `--compare-ref ${ref}: ${what} failed (exit ${out.status}):\n${out.stdout}${out.stderr}`,
      );
    }
  };
  step("installing its toolchain and dependencies", ["node", "--version"]);
  step("building its function zips", [
    "turbo",
    "run",
    "build",
    "--filter=./functions/*",
    "--output-logs=errors-only",
  ]);
  const consumerZip = join(dir, "functions", "consumer", "dist", "consumer.zip");
  if (!existsSync(consumerZip)) {
    remove();
    throw new Error(`--compare-ref ${ref}: its build left no ${consumerZip}`);
  }
  return { commit, consumerZip, remove };
}

/** One consumer's drain of a filled queue, with the CPU its instances used. */
export interface ConsumerCpuRun {
  variant: "ours" | "ref";
  round: number;
  tasks: number;
  /** CPU ms of the consumer's instances (from /proc, 100 ms samples) over the drain. */
  cpuMs: number;
  cpuMsPerTask: number;
  invocations: number;
  seconds: number;
}

export interface ConsumerComparison {
  ref: string;
  commit: string;
  tasks: number;
  latencyMs: number;
  runs: ConsumerCpuRun[];
  /** Median CPU ms per task of each variant over its rounds. */
  ours: number;
  baseline: number;
  /** ours / baseline: below 1 is less CPU per task. */
  ratio: number;
}

/**
 * Both consumers as the local Lambda runs them (each zip deployed in turn as the consumer function of one
 * stack, the seed's worker behind both), alternating which goes first in each round. Each round deploys the
 * variant, warms it on a small job (its cold start is not counted), then drains `tasks` fresh tasks with
 * synchronous invokes while the stack's process tree is sampled; only the consumer instances' CPU counts.
 */
export async function compareConsumers(options: {
  ref: RefBuild & { name: string };
  oursZip: string;
  tasks: number;
  rounds: number;
  latencyMs: number;
  settingsPath?: string;
  logDir: string;
  log: (line: string) => void;
}): Promise<ConsumerComparison> {
  const stack = await startRemoteStack({
    latencyMs: options.latencyMs,
    schedule: false,
    logDir: options.logDir,
    ...(options.settingsPath ? { settingsPath: options.settingsPath } : {}),
  });
  const lambda = new LambdaClient({
    endpoint: stack.endpoints.lambda,
    region: stack.settings.aws_region,
    credentials: localCredentials,
    maxAttempts: 1,
  });
  try {
    Object.assign(process.env, stack.env);
    await stack.configure(stack.names.workerFunction, {
      codeDir: writeSeedWorker(join(options.logDir, "seed-worker")),
    });
    const queueUrl = stack.resources.tasksQueueUrl;
    /** Invokes the consumer until the queue is empty; answers the invocations it took. */
    const drain = async () => {
      let invocations = 0;
      while ((await queuedMessages(queueUrl)) > 0) {
        if (++invocations > 1_000) throw new Error("the consumer did not empty the queue in 1,000 runs");
        const out = await lambda.send(
          new InvokeCommand({ FunctionName: stack.names.consumerFunction, Payload: Buffer.from("{}") }),
        );
        if (out.FunctionError)
          throw new Error(`the consumer failed: ${Buffer.from(out.Payload ?? new Uint8Array()).toString()}`);
      }
      await stack.idle();
      return invocations;
    };
    const runs: ConsumerCpuRun[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? (["ours", "ref"] as const) : (["ref", "ours"] as const);
      for (const variant of order) {
        await stack.deploy("consumer", variant === "ours" ? options.oursZip : options.ref.consumerZip);
        await fillQueue(queueUrl, taskBodies(`cmp-warm-${variant}-${round}-${Date.now()}`, 50));
        await drain();
        await fillQueue(queueUrl, taskBodies(`cmp-${variant}-${round}-${Date.now()}`, options.tasks));
        const sampler = sampleTrees([{ pid: stack.pid, role: "stack", tree: true }], 100);
        const started = performance.now();
        const invocations = await drain();
        const seconds = (performance.now() - started) / 1000;
        const cpuMs = sampler.stop().cpu.find((c) => c.name === stack.names.consumerFunction)?.cpuMs ?? 0;
        const run = {
          variant,
          round,
          tasks: options.tasks,
          cpuMs,
          cpuMsPerTask: cpuMs / options.tasks,
          invocations,
          seconds,
        };
        runs.push(run);
        options.log(
          `  round ${round}, ${variant === "ours" ? "ours" : options.ref.name}: ${run.cpuMsPerTask.toFixed(3)} CPU ms/task (${Math.round(cpuMs)} ms over ${options.tasks} tasks, ${invocations} runs, ${seconds.toFixed(1)} s)`,
        );
      }
    }
    const of = (v: "ours" | "ref") => median(runs.filter((r) => r.variant === v).map((r) => r.cpuMsPerTask));
    const ours = of("ours");
    const baseline = of("ref");
    return {
      ref: options.ref.name,
      commit: options.ref.commit,
      tasks: options.tasks,
      latencyMs: options.latencyMs,
      runs,
      ours,
      baseline,
      ratio: baseline > 0 ? ours / baseline : Number.NaN,
    };
  } finally {
    lambda.destroy();
    await stack.stop();
  }
}
