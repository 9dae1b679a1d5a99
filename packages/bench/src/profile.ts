import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "@fanout/local-stack";
import type { ConsumerRun } from "./ours.ts";
import { startRemoteStack } from "./remote-stack.ts";
import { fillQueue, taskBodies, writeSeedWorker } from "./workload.ts";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export type Origin = "ours" | "aws-sdk" | "dependency" | "node" | "vm";

export interface ProfileEntry {
  function: string;
  location: string;
  origin: Origin;
  selfMs: number;
  /** Share of the non-idle time. */
  share: number;
}

export interface ProfileSummary {
  tasks: number;
  latencyMs: number;
  run: ConsumerRun;
  /** Sampled time that was not idle, in ms. */
  busyMs: number;
  byOrigin: Record<Origin, number>;
  top: ProfileEntry[];
  file: string;
}

export function originOf(url: string, functionName: string): Origin {
  if (url === "") return functionName.startsWith("(") ? "vm" : "node";
  if (url.startsWith("node:")) return "node";
  if (/@aws-sdk|@smithy|@aws-crypto/.test(url)) return "aws-sdk";
  if (url.includes("node_modules")) return "dependency";
  if (/\/(functions|packages)\//.test(url)) return "ours";
  return "node";
}

/** Self time per function (summed over the profile), top `n` by self time. */
export function summariseProfile(
  profile: CpuProfile,
  n = 12,
): Omit<ProfileSummary, "tasks" | "latencyMs" | "run" | "file"> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const byKey = new Map<string, ProfileEntry>();
  const byOrigin: Record<Origin, number> = { ours: 0, "aws-sdk": 0, dependency: 0, node: 0, vm: 0 };
  let busy = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)" || ms === 0) continue;
    busy += ms;
    const origin = originOf(url, functionName);
    byOrigin[origin] += ms;
    const path = url.startsWith("file://") ? relative(repoRoot, fileURLToPath(url)) : url;
    const location = path
      ? `${path.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")}:${lineNumber + 1}`
      : "";
    const key = `${functionName}@${location}`;
    const entry = byKey.get(key) ?? {
      function: functionName || "(anonymous)",
      location,
      origin,
      selfMs: 0,
      share: 0,
    };
    entry.selfMs += ms;
    byKey.set(key, entry);
  }
  const top = [...byKey.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, n)
    .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), share: Math.round((e.selfMs / busy) * 1000) / 1000 }));
  for (const k of Object.keys(byOrigin) as Origin[]) byOrigin[k] = Math.round(byOrigin[k]);
  return { busyMs: Math.round(busy), byOrigin, top };
}

/**
 * CPU profile of our consumer's hot path: a child process (`--cpu-prof`) that only runs the consumer over
 * a filled queue, against a stack in another process, so the profile holds the consumer and nothing else.
 */
export async function profileConsumer(options: {
  tasks: number;
  latencyMs: number;
  settingsPath?: string;
  outDir: string;
  log: (line: string) => void;
}): Promise<ProfileSummary> {
  const logDir = mkdtempSync(join(tmpdir(), "fanout-bench-profile-"));
  const stack = await startRemoteStack({
    latencyMs: options.latencyMs,
    schedule: false,
    logDir,
    ...(options.settingsPath ? { settingsPath: options.settingsPath } : {}),
  });
  try {
    Object.assign(process.env, stack.env);
    await stack.configure(stack.names.workerFunction, {
      codeDir: writeSeedWorker(join(logDir, "seed-worker")),
    });
    await fillQueue(stack.resources.tasksQueueUrl, taskBodies(`bench-profile-${Date.now()}`, options.tasks));
    const target = {
      tasksQueueUrl: stack.resources.tasksQueueUrl,
      tableName: stack.resources.tableName,
      workerFunctionName: stack.names.workerFunction,
      settings: stack.settings,
    };
    const child = spawnSync(
      process.execPath,
      [
        "--cpu-prof",
        `--cpu-prof-dir=${options.outDir}`,
        fileURLToPath(new URL("./profile-consumer.ts", import.meta.url)),
        JSON.stringify({ target, tasks: options.tasks }),
      ],
      { env: process.env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
    );
    if (child.status !== 0) throw new Error(`profiled consumer failed: ${child.stderr}`);
    const run = JSON.parse(child.stdout) as ConsumerRun;
    await stack.idle();
    const file = readdirSync(options.outDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(options.outDir, f))
      .sort()
      .at(-1);
    if (!file) throw new Error("no .cpuprofile was written");
    const summary = summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
    return { tasks: options.tasks, latencyMs: options.latencyMs, run, ...summary, file };
  } finally {
    await stack.stop();
  }
}
