#!/usr/bin/env node
// `pnpm demo`: builds if needed, runs the whole pipeline locally, prints a summary; exit 0 only if every
// task reached a final state and none ran twice.
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
  .option("--payload <file>", "submit this job file instead of generated names")
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

program.parse();
const opts = program.opts<{
  names: number;
  payload?: string;
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
    ...(opts.payload ? { payload: opts.payload } : {}),
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
