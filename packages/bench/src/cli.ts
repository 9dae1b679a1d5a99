#!/usr/bin/env node
// `pnpm bench [--quick]`: measures fanout against the seed's algorithm on the local stack, prints one table
// with pass/miss per target, and writes the same figures as JSON.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { loadSettings } from "@fanout/core";
import { defaultSettingsPath, repoRoot, stateDir } from "@fanout/local-stack";
import { Command } from "commander";
import { z } from "zod";
import { measureBundles } from "./bundles.ts";
import { measureEndToEnd } from "./e2e.ts";
import { measureJobBudget } from "./job-budget.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { profileConsumer } from "./profile.ts";
import { derive, type Results, renderTable, rows } from "./report.ts";
import { measureThroughput } from "./throughput.ts";

const program = new Command("bench")
  .description(
    "Benchmark fanout against the seed's algorithm on the local stack (see packages/bench/README.md).",
  )
  .option("--quick", "small sizes: a CI smoke that finishes well under a minute")
  .option("--sizes <list>", "queue sizes for the consumer comparison, e.g. 1000,10000")
  .option("--latencies <list>", "request latencies in ms, e.g. 0,10")
  .option("--rounds <n>", "alternating rounds of ours/baseline per size and latency")
  .option("--e2e-tasks <n>", "tasks in the end-to-end job")
  .option("--e2e-latency <ms>", "request latency for the end-to-end job")
  .option("--cold-runs <n>", "fresh processes per bundle for cold init")
  .option("--profile-tasks <n>", "tasks drained by the profiled consumer")
  .option("--profile-latency <ms>", "request latency while profiling")
  .option("--budget-tasks <n>", "tasks per job of the budget step (DynamoDB requests per task per feature)")
  .option("--steps <list>", "bundles,throughput,e2e,profile,budget (default: all)")
  .option("--settings <file>", "settings file (default terraform/environments/dev.tfvars.json)")
  .option("--out <file>", "JSON output (default .fanout/bench/bench-<time>.json)")
  .option("--no-build", "skip building the function zips")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

program.parse();
let options: BenchOptions;
try {
  options = parseOptions(program.opts());
} catch (error) {
  const message = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
  process.stderr.write(`bench: invalid flags:\n${message}\n`);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const settingsPath = options.settingsPath ? resolve(options.settingsPath) : defaultSettingsPath;
const settings = loadSettings(settingsPath);
const stepOn = (s: BenchOptions["steps"][number]) => options.steps.includes(s);
const started = Date.now();

function build(): void {
  const out = spawnSync("turbo", ["run", "build", "--filter=./functions/*", "--output-logs=errors-only"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
  if (out.status !== 0) throw new Error(`build failed: ${out.stdout}${out.stderr}`);
}

try {
  if (options.build) {
    log("building function zips (turbo)…");
    build();
  }
  const results: Results = {};
  if (stepOn("bundles")) {
    log(`bundles: both variants, ${options.coldRuns} cold starts each`);
    results.bundles = await measureBundles({ coldRuns: options.coldRuns, log });
  }
  if (stepOn("throughput")) {
    log(
      `throughput: sizes ${options.sizes.join(", ")} at ${options.latencies.join(", ")} ms, ours vs the seed's consumer`,
    );
    results.throughput = await measureThroughput({
      sizes: options.sizes,
      latencies: options.latencies,
      rounds: options.rounds,
      enqueueSample: options.enqueueSample,
      settingsPath,
      log,
    });
  }
  if (stepOn("e2e")) {
    log(`end to end: a ${options.e2eTasks}-task job at ${options.e2eLatency} ms`);
    results.e2e = await measureEndToEnd({
      tasks: options.e2eTasks,
      latencyMs: options.e2eLatency,
      timeoutSeconds: 900,
      settingsPath,
      log,
    });
  }
  if (stepOn("profile")) {
    log(
      `profile: our consumer over ${options.profileTasks} tasks at ${options.profileLatency} ms (--cpu-prof)`,
    );
    results.profile = await profileConsumer({
      tasks: options.profileTasks,
      latencyMs: options.profileLatency,
      settingsPath,
      outDir: mkdtempSync(join(tmpdir(), "fanout-bench-cpuprof-")),
      log,
    });
  }
  if (stepOn("budget")) {
    log(`budget: DynamoDB requests per task for each job feature, ${options.budgetTasks}-task jobs`);
    results.budget = await measureJobBudget({ tasks: options.budgetTasks, log });
  }
  const defaultVariant = process.env.FANOUT_EXTERNAL_SDK === "1" ? "sdk-external" : "sdk-bundled";
  const derived = derive(results, settings);
  const table = rows(results, derived, defaultVariant);
  const text = renderTable(table);
  const out = resolve(
    options.out ??
      join(stateDir, "bench", `bench-${new Date(started).toISOString().replace(/[:.]/g, "-")}.json`),
  );
  mkdirSync(dirname(out), { recursive: true });
  const command = `pnpm bench${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(" ")}` : ""}`;
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        command,
        date: new Date(started).toISOString(),
        seconds: (Date.now() - started) / 1000,
        machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "" },
        options,
        settings: { path: settingsPath, functions: settings.functions, consumer: settings.consumer },
        results,
        derived,
        rows: table,
      },
      null,
      2,
    )}\n`,
  );
  const budget = (results.budget ?? []).map(
    (r) =>
      `${r.case.padEnd(48)} ${String(r.writesPerTask).padStart(7)} ${String(r.readsPerTask).padStart(7)}   ${r.final.succeeded}/${r.final.failed}/${r.final.cancelled}`,
  );
  if (budget.length > 0)
    process.stdout.write(
      `DynamoDB requests per task (writes, reads; succeeded/failed/cancelled)\n${budget.join("\n")}\n\n`,
    );
  process.stdout.write(
    `${text}\n\n${command} · ${((Date.now() - started) / 1000).toFixed(0)} s · ${cpus().length} CPUs · Node ${process.version}\nJSON: ${out}\n`,
  );
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
