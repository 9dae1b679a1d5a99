#!/usr/bin/env node
// `pnpm demo`: builds if needed, runs the whole pipeline locally, prints a summary; exit 0 only if every
// task reached a final state (succeeded, failed or, after --cancel-after, cancelled) and none ran twice.
import { Command, Option } from "commander";
import { ensureBuilt } from "../build.ts";
import { runDemo } from "../demo.ts";
import { numberIn } from "./flags.ts";

const int = (min: number, max: number) => numberIn(min, max);
const rate = numberIn(0, 1, { integer: false });

const program = new Command("demo")
  .description("Run a job through the whole fanout pipeline on this machine (no AWS account, no Docker).")
  .addOption(
    new Option("--names <n>", "number of names in the generated job")
      .argParser(int(1, 10_000))
      .default(1_000),
  )
  .option("--tasks", 'submit the tasks format ({"n": i, "name": ...} objects) instead of names', false)
  .option(
    "--payload <file>",
    "submit this job file instead of generated names (the options below still apply)",
  )
  .addOption(
    new Option(
      "--max-concurrency <n>",
      "the job's maxConcurrency: at most n of its tasks running at once",
    ).argParser(int(1, 1_000)),
  )
  .addOption(
    new Option(
      "--tolerated-failures <n>",
      "the job's toleratedFailureCount: past n failed tasks the job fails and the rest are cancelled",
    ).argParser(int(0, 100_000)),
  )
  .addOption(
    new Option(
      "--cancel-after <n>",
      "cancel the job (as `fanout cancel` does) once n of its tasks have succeeded",
    ).argParser(int(0, 100_000)),
  )
  .addOption(
    new Option("--fail-rate <r>", "fraction of worker runs that fail on purpose").argParser(rate).default(0),
  )
  .option("--resubmit", "submit the same job twice (dedup must keep each task to one dispatch)", false)
  .addOption(
    new Option("--speed <x>", "speed-up of Lambda's retry delays and the schedule")
      .argParser(int(1, 10_000))
      .default(60),
  )
  .addOption(
    new Option("--timeout <s>", "give up after this many seconds").argParser(int(10, 3_600)).default(600),
  )
  .option("--no-build", "skip the build step")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

// `pnpm demo -- --names 10` passes the "--" on (npm run consumes it): accept both spellings.
const args = process.argv.slice(2);
program.parse(args[0] === "--" ? args.slice(1) : args, { from: "user" });
const opts = program.opts<{
  names: number;
  tasks: boolean;
  payload?: string;
  maxConcurrency?: number;
  toleratedFailures?: number;
  cancelAfter?: number;
  failRate: number;
  resubmit: boolean;
  speed: number;
  timeout: number;
  build: boolean;
}>();

try {
  if (opts.build) ensureBuilt();
  const report = await runDemo({
    names: opts.names,
    tasks: opts.tasks,
    ...(opts.payload ? { payload: opts.payload } : {}),
    ...(opts.maxConcurrency === undefined ? {} : { maxConcurrency: opts.maxConcurrency }),
    ...(opts.toleratedFailures === undefined ? {} : { toleratedFailures: opts.toleratedFailures }),
    ...(opts.cancelAfter === undefined ? {} : { cancelAfter: opts.cancelAfter }),
    failRate: opts.failRate,
    resubmit: opts.resubmit,
    speed: opts.speed,
    timeoutSeconds: opts.timeout,
  });
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`demo: ${(error as Error).message}\n`);
  process.exit(1);
}
