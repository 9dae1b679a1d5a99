#!/usr/bin/env node
// `pnpm bench [--quick]`: measures fanout against the seed's algorithm on the local stack, prints one table
// with pass/miss per target, and writes the same figures as JSON.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { defaultSettingsPath, repoRoot, stateDir } from "@fanout/local-stack";
import { loadSettings } from "@fanout/tooling";
import { Command } from "commander";
import { z } from "zod";
import { measureBundles } from "./bundles.ts";
import { buildRef, compareConsumers } from "./compare-ref.ts";
import { measureEndToEnd } from "./e2e.ts";
import { measureJobBudget } from "./job-budget.ts";
import { type BenchOptions, type CompareOptions, parseOptions } from "./options.ts";
import { profileConsumer } from "./profile.ts";
import { derive, type Results, renderTable, rows } from "./report.ts";
import { runScale } from "./scale.ts";
import { completedChart, quotaLines, scaleOutChart, scaleRows } from "./scale-report.ts";
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
  .option("--scale", "the scale benchmark instead: scale-out, ceiling, a 100,000-task job, AWS model")
  .option(
    "--scale-mode <mode>",
    "self-scale (default): one invoke, consumer.max_parallel = N; invoke-n: N invokes at once",
  )
  .option("--scale-consumers <list>", "concurrent consumer runs per scale-out cell, e.g. 1,2,4,8")
  .option("--scale-tasks <n>", "tasks queued per consumer in a scale-out cell")
  .option("--scale-latency <ms>", "request latency of the scale-out cells (default 100)")
  .option("--ceiling-tasks <n>", "tasks of each run of the ceiling comparison (at 0 ms)")
  .option("--scale-e2e-tasks <n>", "tasks of the large end-to-end job (full 100,000, quick 2,000)")
  .option("--scale-e2e-latency <ms>", "request latency of the large end-to-end job (default 0)")
  .option("--source-tasks <n>", "records of the S3 source job (full 1,000,000, quick 20,000)")
  .option("--aws-latency <ms>", "in-region AWS request latency the AWS model assumes (default 10)")
  .option("--scale-sections <list>", "bundles,scale-out,ceiling,e2e,source,model (default: all)")
  .option(
    "--compare-ref <commit>",
    "instead: our consumer's CPU per task against <commit>'s, built in a temporary checkout, alternating on one stack",
  )
  .option("--compare-tasks <n>", "with --compare-ref: tasks per variant and round (full 5,000, quick 500)")
  .option("--compare-latency <ms>", "with --compare-ref: request latency (default 0)")
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
  if (options.scale) {
    await scale(options.scale);
    process.exit(0);
  }
  if (options.compare) {
    await compare(options.compare);
    process.exit(0);
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
    log(
      `budget: DynamoDB requests and capacity units per task for each job feature, ${options.budgetTasks}-task jobs`,
    );
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
      `${r.case.padEnd(48)} ${String(r.writesPerTask).padStart(7)} ${String(r.readsPerTask).padStart(7)} ${String(r.writeUnitsPerTask).padStart(7)} ${String(r.readUnitsPerTask).padStart(7)}   ${r.final.succeeded}/${r.final.failed}/${r.final.cancelled}`,
  );
  const kinds = (results.budget ?? []).map((r) => `${r.case}: ${JSON.stringify(r.unitsPerTask)}`);
  if (budget.length > 0)
    process.stdout.write(
      `DynamoDB per task (writes, reads, write units incl. index and refused, read units; succeeded/failed/cancelled)\n${budget.join("\n")}\nunits per task by item kind:\n${kinds.join("\n")}\n\n`,
    );
  process.stdout.write(
    `${text}\n\n${command} · ${((Date.now() - started) / 1000).toFixed(0)} s · ${cpus().length} CPUs · Node ${process.version}\nJSON: ${out}\n`,
  );
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}

/** `--scale`: one table (pass/miss per target), the JSON report, and the charts beside it. */
async function scale(scaleOptions: NonNullable<BenchOptions["scale"]>): Promise<void> {
  const results = await runScale(scaleOptions, settings, log);
  const defaultVariant = process.env.FANOUT_EXTERNAL_SDK === "1" ? "sdk-external" : "sdk-bundled";
  const table = [
    ...rows({ ...(results.bundles ? { bundles: results.bundles } : {}) }, {}, defaultVariant),
    ...scaleRows(results, settings),
  ];
  const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
  const out = resolve(options.out ?? join(stateDir, "bench", `scale-${stamp}.json`));
  mkdirSync(dirname(out), { recursive: true });
  const base = out.replace(/\.json$/, "");
  const charts: string[] = [];
  if (results.scaleOut) {
    writeFileSync(`${base}-scale-out.svg`, scaleOutChart(results.scaleOut));
    charts.push(`${base}-scale-out.svg`);
  }
  if (results.e2e) {
    writeFileSync(`${base}-e2e-completed.svg`, completedChart(results.e2e));
    charts.push(`${base}-e2e-completed.svg`);
  }
  const command = `pnpm bench ${process.argv.slice(2).join(" ")}`;
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        command,
        date: new Date(started).toISOString(),
        seconds,
        machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "" },
        options,
        settings: { path: settingsPath, functions: settings.functions, consumer: settings.consumer },
        results,
        rows: table,
        charts,
      },
      null,
      2,
    )}\n`,
  );
  const quotas = results.model
    ? `\nAWS quotas assumed by the model (defaults, checked 2026-12):\n${quotaLines().join("\n")}\n`
    : "";
  process.stdout.write(
    `${renderTable(table)}\n${quotas}\n${command} · ${seconds.toFixed(0)} s · ${cpus().length} CPUs · Node ${process.version}\nJSON: ${out}\n${charts.map((c) => `chart: ${c}`).join("\n")}\n`,
  );
}

/** `--compare-ref`: both consumers' CPU per task, its ratio, and the JSON report. */
async function compare(o: CompareOptions): Promise<void> {
  log(`compare: building ${o.ref} in a temporary checkout…`);
  const ref = buildRef(o.ref, log);
  try {
    log(
      `compare: our consumer vs ${o.ref} (${ref.commit.slice(0, 7)}), ${o.tasks} tasks at ${o.latencyMs} ms, ${o.rounds} alternating round${o.rounds === 1 ? "" : "s"}`,
    );
    const result = await compareConsumers({
      ref: { ...ref, name: o.ref },
      oursZip: join(repoRoot, "functions", "consumer", "dist", "consumer.zip"),
      tasks: o.tasks,
      rounds: o.rounds,
      latencyMs: o.latencyMs,
      settingsPath,
      logDir: mkdtempSync(join(tmpdir(), "fanout-bench-compare-")),
      log,
    });
    const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
    const out = resolve(options.out ?? join(stateDir, "bench", `compare-${stamp}.json`));
    mkdirSync(dirname(out), { recursive: true });
    const command = `pnpm bench ${process.argv.slice(2).join(" ")}`;
    writeFileSync(
      out,
      `${JSON.stringify({ command, date: new Date(started).toISOString(), machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "" }, result }, null, 2)}\n`,
    );
    process.stdout.write(
      `${renderTable([
        {
          section: "consumer CPU",
          metric: `CPU ms per task, median of ${o.rounds} round${o.rounds === 1 ? "" : "s"} (${o.tasks} tasks, ${o.latencyMs} ms); baseline ${o.ref} (${ref.commit.slice(0, 7)})`,
          ours: result.ours.toFixed(3),
          baseline: result.baseline.toFixed(3),
          ratio: `${result.ratio.toFixed(2)}×`,
          target: "≤ 0.6×",
          status: result.ratio <= 0.6 ? "pass" : "miss",
        },
      ])}\n\n${command} · ${((Date.now() - started) / 1000).toFixed(0)} s · ${cpus().length} CPUs · Node ${process.version}\nJSON: ${out}\n`,
    );
  } finally {
    ref.remove();
  }
}
