import { Command, CommanderError } from "commander";
import { type CliContext, createContext } from "./context.ts";
import { CliError, describeError, ExitCode, oneLine, UsageError } from "./errors.ts";
import { failedList } from "./failed-list.ts";
import { failedRedrive } from "./failed-redrive.ts";
import {
  failedListFlags,
  failedRedriveFlags,
  type GlobalFlags,
  globalFlags,
  invokeFlags,
  metricsFlags,
  parseFlags,
  statusFlags,
  submitFlags,
} from "./flags.ts";
import { invoke } from "./invoke.ts";
import type { Io } from "./io.ts";
import { metrics } from "./metrics.ts";
import { status } from "./status.ts";
import { submit } from "./submit.ts";

export interface RunOptions {
  /** Replaces {@link createContext} (tests). */
  createContext?: (flags: GlobalFlags) => Promise<CliContext>;
}

const exitCodes = `
Exit codes:
  0  success
  1  failure: the request failed, the input was invalid, or (with --watch) a task failed
  2  usage error: unknown command or flag, bad flag value`;

const environment = `
AWS settings come from the SDK's standard sources: AWS_PROFILE, AWS_REGION, credentials, and
AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS / _DYNAMODB / _LAMBDA (e.g. the local stack's endpoints).`;

function buildProgram(io: Io, options: RunOptions, setCode: (code: number) => void): Command {
  const program = new Command("fanout")
    .description("Submit fanout jobs, follow them, and manage failed tasks, on AWS or the local stack.")
    .option(
      "--settings <path>",
      "settings file (default: terraform/environments/dev.tfvars.json in the repo)",
    )
    .option("--prefix <prefix>", "resource name prefix (overrides name_prefix from the settings)")
    .option(
      "--region <region>",
      "AWS region (default: AWS_REGION, the profile's, or aws_region from the settings)",
    )
    .option("--profile <name>", "AWS shared-config profile (default: AWS_PROFILE)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: () => {},
    })
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", `${exitCodes}\n${environment}`);

  const withContext = async (cmd: Command, run: (ctx: CliContext) => Promise<number>) => {
    const globals = parseFlags(globalFlags, cmd.optsWithGlobals(), `fanout ${commandPath(cmd)}`);
    const ctx = await (options.createContext ?? createContext)(globals);
    try {
      setCode(await run(ctx));
    } finally {
      ctx.close();
    }
  };

  program
    .command("submit")
    .description("validate a job locally, then submit it to <prefix>-main; prints the jobId and task count")
    .argument("<file>", "job JSON file, or - to read stdin")
    .option("--watch", "then follow the job as `status --watch` does (and exit as it does)")
    .option("--json", "print the result as JSON")
    .option("--interval <seconds>", "with --watch: seconds between refreshes", "2")
    .option("--timeout <seconds>", "with --watch: give up (exit 1) after this many seconds; 0 = never", "0")
    .addHelpText(
      "after",
      `
Example:
  echo '{"jobId":"demo-1","names":[{"name":"Name1"},{"name":"Name2"}]}' | fanout submit - --watch
An invalid job is rejected whole before anything is sent: every bad entry is listed by index, exit 1.
${exitCodes}`,
    )
    .action(async (file: string, raw: object, cmd: Command) => {
      const flags = parseFlags(submitFlags, { ...raw, file }, "fanout submit");
      await withContext(cmd, (ctx) => submit(ctx, io, flags));
    });

  program
    .command("status")
    .description("show a job's counts: total, succeeded, failed, pending, percent, done")
    .argument("<jobId>", "the job's id, as printed by submit")
    .option("--watch", "refresh until every task is final; exit 0 if none failed, 1 if any did")
    .option("--json", "print JSON: jobId, total, succeeded, failed, pending, percent, done, createdAt")
    .option("--interval <seconds>", "with --watch: seconds between refreshes", "2")
    .option("--timeout <seconds>", "with --watch: give up (exit 1) after this many seconds; 0 = never", "0")
    .addHelpText(
      "after",
      `
Examples:
  fanout status demo-1
  fanout status demo-1 --watch --json
Without --watch the exit code is 0 whenever the job was read (look at "failed"); with --watch it is
0 when the job finished with no failed task and 1 when any task failed.
${exitCodes}`,
    )
    .action(async (jobId: string, raw: object, cmd: Command) => {
      const flags = parseFlags(statusFlags, { ...raw, jobId }, "fanout status");
      await withContext(cmd, (ctx) => status(ctx, io, flags));
    });

  const failed = program
    .command("failed")
    .description("inspect and redrive tasks whose worker failed after all retries (<prefix>-failed-tasks)")
    .addHelpText("after", `\nExample:\n  fanout failed list && fanout failed redrive\n${exitCodes}`);
  failed
    .command("list")
    .description("show failed-task records without consuming them")
    .option("--json", "print a JSON array of records")
    .option("--max <n>", "show at most this many records", "50")
    .addHelpText(
      "after",
      `
Example:
  fanout failed list --max 20
Columns: task id, job id, name (truncated), error type and message, discard condition, invoke count.
${exitCodes}`,
    )
    .action(async (raw: object, cmd: Command) => {
      const flags = parseFlags(failedListFlags, raw, "fanout failed list");
      await withContext(cmd, (ctx) => failedList(ctx, io, flags));
    });
  failed
    .command("redrive")
    .description("send failed tasks back to the tasks queue (same taskId) and start the consumer")
    .option("--max <n>", "redrive at most this many records", "1000")
    .option("--dry-run", "show what would happen; change nothing")
    .option("--json", "print the report as JSON")
    .option("--no-nudge", "do not invoke the consumer afterwards (the schedule picks the tasks up)")
    .addHelpText(
      "after",
      `
Example:
  fanout failed redrive --dry-run && fanout failed redrive
For each record: the task is set FAILED → REQUEUED, its original body is sent to the tasks queue, then
the record is deleted. A task that is no longer FAILED (e.g. it succeeded since) is skipped, not resent.
Exit 1 if any record could not be redriven (it stays in the failed queue).
${exitCodes}`,
    )
    .action(async (raw: object, cmd: Command) => {
      const flags = parseFlags(failedRedriveFlags, raw, "fanout failed redrive");
      await withContext(cmd, (ctx) => failedRedrive(ctx, io, flags));
    });

  program
    .command("invoke")
    .description("invoke a function: main, consumer, worker, or a full function name")
    .argument("<function>", "main | consumer | worker | a function name or ARN")
    .argument("[payload]", "JSON text, @file, or - for stdin (default {})")
    .option("--event", "invoke asynchronously (InvocationType Event); prints the status code, 202")
    .option("--log", "print the last 4 KB of the function's log (LogType Tail) to stderr")
    .addHelpText(
      "after",
      `
Examples:
  fanout invoke consumer --event
  fanout invoke worker '{"v":1,"jobId":"demo-1","index":0,"name":"Name1"}' --log
The response payload goes to stdout; a function error is printed and exits 1.
${exitCodes}`,
    )
    .action(async (fn: string, payload: string | undefined, raw: object, cmd: Command) => {
      const flags = parseFlags(
        invokeFlags,
        { ...raw, function: fn, ...(payload === undefined ? {} : { payload }) },
        "fanout invoke",
      );
      await withContext(cmd, (ctx) => invoke(ctx, io, flags));
    });
  program
    .command("metrics")
    .description("show the functions' metrics: from the local stack's logs, or from CloudWatch on AWS")
    .option("--since <duration>", "window ending now: 90s, 15m, 1h, 2d (1m to 15d)", "1h")
    .option("--json", "print JSON: source, namespace, since, and one entry per metric and outcome")
    .option(
      "--source <source>",
      "auto (local stack logs when AWS_ENDPOINT_URL_LAMBDA is set and no CloudWatch endpoint is), logs or cloudwatch",
      "auto",
    )
    .option("--log-dir <dir>", "with logs: the local stack's log folder (default .fanout/logs in the repo)")
    .addHelpText(
      "after",
      `
Examples:
  fanout metrics --since 15m
  fanout metrics --json | jq '.metrics[] | select(.name == "TasksFailedFinal")'
Metrics (namespace from the settings' metrics.namespace, default Fanout): JobsSubmitted, TasksEnqueued,
TasksDispatched, DuplicatesDropped, ClaimsBusy, InvokesThrottled, InvokesFailed, TasksSucceeded,
TasksFailedRetryPending, TasksFailedFinal, TaskDuration, EnqueueToStartLag. On AWS this reads
CloudWatch GetMetricData (IAM cloudwatch:GetMetricData); metrics appear there a minute or two late.
${exitCodes}`,
    )
    .action(async (raw: object, cmd: Command) => {
      const flags = parseFlags(metricsFlags, raw, "fanout metrics");
      await withContext(cmd, (ctx) => metrics(ctx, io, flags));
    });
  return program;
}

function commandPath(cmd: Command): string {
  const parts: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) parts.unshift(c.name());
  return parts.join(" ");
}

/** The deepest command named in argv, for pointing at the right `--help`. */
function commandOf(program: Command, argv: readonly string[]): string {
  let cmd = program;
  const path = ["fanout"];
  for (const word of argv) {
    if (word.startsWith("-")) continue;
    const sub = cmd.commands.find((c) => c.name() === word);
    if (!sub) break;
    cmd = sub;
    path.push(word);
  }
  return path.join(" ");
}

/**
 * Runs the CLI with the given arguments (without `node` and the script) and streams; returns the exit code.
 * Errors are one line on stderr (`fanout: ...`), never a stack trace (set FANOUT_DEBUG=1 to see one).
 *
 * @example
 * const code = await run(["status", "demo-1", "--json"], { stdout, stderr, stdin: process.stdin });
 */
export async function run(argv: readonly string[], io: Io, options: RunOptions = {}): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram(io, options, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (process.env.FANOUT_DEBUG) io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.Ok;
      // `fanout help <command>` asked for it (exit 0); no command given: help was printed to stderr (exit 2).
      if (error.code === "commander.help") return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      const message = oneLine(error.message.replace(/^error:\s*/, ""));
      const where = commandOf(program, argv);
      io.stderr.write(`fanout: ${message} (see '${where} --help')\n`);
      return ExitCode.Usage;
    }
    if (error instanceof UsageError) {
      io.stderr.write(
        `fanout: ${error.message} (see '${error.command ?? commandOf(program, argv)} --help')\n`,
      );
      return ExitCode.Usage;
    }
    io.stderr.write(`fanout: ${describeError(error)}\n`);
    if (error instanceof CliError) for (const line of error.details) io.stderr.write(`${line}\n`);
    return ExitCode.Failure;
  }
}
