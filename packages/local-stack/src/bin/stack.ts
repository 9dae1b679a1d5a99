#!/usr/bin/env node
// `pnpm stack`: the whole system on this machine until Ctrl-C, on fixed ports so the AWS CLI, the SDKs
// and `pnpm fanout` can be pointed at it.
import { join } from "node:path";
import { Command, Option } from "commander";
import { ensureBuilt } from "../build.ts";
import { defaultSettingsPath, stateDir } from "../paths.ts";
import { assertPortsFree } from "../ports.ts";
import { startStack } from "../stack.ts";
import { describeStack } from "../stack-banner.ts";
import { numberIn } from "./flags.ts";

const port = numberIn(0, 65_535, { what: "0 = any free port" });
const speed = numberIn(1, 10_000, { integer: false });

const program = new Command("stack")
  .description(
    "Run SQS and DynamoDB emulators, the local Lambda service with the built functions, and the consumer's schedule until Ctrl-C.",
  )
  .addOption(new Option("--sqs-port <port>", "SQS emulator port").argParser(port).default(9324))
  .addOption(new Option("--dynamo-port <port>", "DynamoDB emulator port").argParser(port).default(8000))
  .addOption(new Option("--lambda-port <port>", "local Lambda service port").argParser(port).default(3001))
  .option("--data-dir <dir>", "keep DynamoDB tables and items here across restarts (SQS stays in memory)")
  .option("--settings <file>", "settings file shared with Terraform", defaultSettingsPath)
  .addOption(
    new Option("--speed <x>", "run the schedule and Lambda's retry delays this many times faster")
      .argParser(speed)
      .default(1),
  )
  .option("--no-schedule", "do not fire the consumer on the schedule (invoke it by hand)")
  .option("--no-build", "skip the build step")
  .option("--log-dir <dir>", "append function logs (JSON lines) here", join(stateDir, "logs"))
  .option("--quiet", "do not print function log lines (they still go to .fanout/logs)", false)
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

program.parse();
const opts = program.opts<{
  sqsPort: number;
  dynamoPort: number;
  lambdaPort: number;
  dataDir?: string;
  settings: string;
  speed: number;
  schedule: boolean;
  build: boolean;
  quiet: boolean;
  logDir: string;
}>();

try {
  if (opts.build) ensureBuilt();
  await assertPortsFree([
    { port: opts.sqsPort, flag: "--sqs-port" },
    { port: opts.dynamoPort, flag: "--dynamo-port" },
    { port: opts.lambdaPort, flag: "--lambda-port" },
  ]);
  const stack = await startStack({
    settingsPath: opts.settings,
    sqsPort: opts.sqsPort,
    dynamoPort: opts.dynamoPort,
    lambdaPort: opts.lambdaPort,
    strictPorts: true,
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    speed: opts.speed,
    schedule: opts.schedule,
    logDir: opts.logDir,
    ...(opts.quiet ? { output: null } : {}),
  });
  process.stdout.write(
    describeStack(stack, {
      settingsPath: opts.settings,
      dataDir: opts.dataDir,
      logDir: opts.logDir,
      schedule: opts.schedule,
      speed: opts.speed,
    }),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the local stack...\n`);
    stack.stop().then(
      () => {
        process.stderr.write("stopped\n");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stack: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (error) {
  process.stderr.write(`stack: ${(error as Error).message}\n`);
  process.exit(1);
}
