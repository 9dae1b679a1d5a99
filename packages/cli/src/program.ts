import { Command, CommanderError } from "commander";
import { cancel } from "./cancel.ts";
import { type CliContext, createContext } from "./context.ts";
import { doctor } from "./doctor.ts";
import { CliError, describeError, ExitCode, oneLine, UsageError } from "./errors.ts";
import { failedList } from "./failed-list.ts";
import { failedRedrive } from "./failed-redrive.ts";
import {
  cancelFlags,
  defaultJobsLimit,
  doctorFlags,
  failedListFlags,
  failedRedriveFlags,
  type GlobalFlags,
  globalFlags,
  invokeFlags,
  jobsFlags,
  metricsFlags,
  parseFlags,
  resultsFlags,
  statusFlags,
  submitFlags,
} from "./flags.ts";
import { invoke } from "./invoke.ts";
import type { Io } from "./io.ts";
import { jobs } from "./jobs.ts";
import { metrics } from "./metrics.ts";
import { results } from "./results.ts";
import { status } from "./status.ts";
import { submit } from "./submit.ts";

export interface RunOptions {
  /** Replaces {@link createContext} (tests). */
  createContext?: (flags: GlobalFlags) => Promise<CliContext>;
}

const exitCodes = `
Exit codes:
  0  success
  1  failure: the request failed, the input was invalid, an unknown jobId, or (with --watch) the job
     did not succeed
  2  usage error: unknown command or flag, bad flag value`;

const environment = `
AWS settings come from the SDK's standard sources: AWS_PROFILE, AWS_REGION, credentials, and
AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS / _DYNAMODB / _LAMBDA / _S3 (e.g. the local stack's endpoints).`;

function buildProgram(io: Io, options: RunOptions, setCode: (code: number) => void): Command {
  const program = new Command("fanout")
    .description(
      "Submit fanout jobs, follow, cancel and list them, read their results, and manage failed tasks, on AWS or the local stack.",
    )
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
    .description(
      "submit a job to <prefix>-main: a job document (validated locally first), or a tasks source, uploaded to the input bucket; prints the jobId and task count",
    )
    .argument("[file]", "job JSON file, a tasks source (.jsonl, .ndjson, a .json array), or - to read stdin")
    .option(
      "--source [s3-url]",
      "alone: the file (or stdin) is a tasks source; with s3://bucket/key: submit that object, no upload",
    )
    .option("--job-id <id>", "the job's id (default: derived from its content, so a resubmission dedups)")
    .option(
      "--format <format>",
      'a source\'s records: names ({"name": ...} entries) or tasks (any JSON); default: the first record decides',
    )
    .option("--max-concurrency <n>", "at most this many of the job's tasks run at once (1-1000)")
    .option(
      "--tolerated-failures <n>",
      "the job fails once more tasks than this failed for good (toleratedFailureCount)",
    )
    .option("--tolerated-failure-percentage <p>", "the same as a percentage of its tasks, 0-100")
    .option(
      "--bucket <name>",
      "upload to this bucket (default: <prefix>-input on the local stack; on AWS, main's INPUT_BUCKET)",
    )
    .option("--watch", "then follow the job as `status --watch` does (and exit as it does)")
    .option("--json", "print main's answer as JSON")
    .option("--interval <seconds>", "with --watch: seconds between refreshes", "2")
    .option("--timeout <seconds>", "with --watch: give up (exit 1) after this many seconds; 0 = never", "0")
    .addHelpText(
      "after",
      `
Examples:
  echo '{"jobId":"demo-1","names":[{"name":"Name1"},{"name":"Name2"}]}' | fanout submit - --watch
  echo '{"jobId":"demo-2","tasks":[{"n":1},{"n":2},"any JSON"],"maxConcurrency":5,"toleratedFailureCount":1}' | fanout submit -
  fanout submit tasks.jsonl --job-id big-1 --max-concurrency 50     # one task per line, uploaded first
  generate-tasks | fanout submit - --source --format tasks            # stdin as JSON Lines
  fanout submit --source s3://my-input-bucket/tasks.jsonl             # already in S3
A job document gives either "names" (the seed format) or "tasks" (any JSON values), and may set
"maxConcurrency" (1-1000 of its tasks running at once), "toleratedFailureCount" and
"toleratedFailurePercentage" (0-100; past them the job fails and its remaining tasks are cancelled);
the option flags set (or override) them. An invalid job is rejected whole before anything is sent:
every bad entry is listed by index, exit 1.
A tasks source (.jsonl or .ndjson: one task per line; .json: one array; any file with --source) is
read twice, streaming: once to check every record as main will (a bad one is listed by line and nothing
is uploaded) and compute its sha256, then to upload it to uploads/<sha256>.jsonl (or .json) in the input
bucket (skipped when that object is already there). main is then invoked with {"source": "s3://..."}
and the flags; a long source is enqueued by main in steps ("N enqueued so far, main goes on with the rest").
${exitCodes}`,
    )
    .action(async (file: string | undefined, raw: object, cmd: Command) => {
      const flags = parseFlags(submitFlags, { ...raw, file }, "fanout submit");
      await withContext(cmd, (ctx) => submit(ctx, io, flags));
    });

  program
    .command("status")
    .description(
      "show a job's state and counts: succeeded, failed (final / retry pending), running, cancelled, pending",
    )
    .argument("<jobId>", "the job's id, as printed by submit")
    .option(
      "--watch",
      "refresh until the job is done (every task succeeded, failed for good or cancelled); exit 0 only if it succeeded",
    )
    .option(
      "--json",
      "print JSON: jobId, state, stopReason, total, succeeded, failed, retryPending, running, cancelled, pending, percent, done, options, createdAt, finishedAt, epoch",
    )
    .option("--interval <seconds>", "with --watch: seconds between refreshes", "2")
    .option("--timeout <seconds>", "with --watch: give up (exit 1) after this many seconds; 0 = never", "0")
    .addHelpText(
      "after",
      `
Examples:
  fanout status demo-1
  fanout status demo-1 --watch --json
State: running, cancelling or failing (stopping: tasks still running), then succeeded, failed or
cancelled. A job succeeds when no more tasks failed for good than it tolerates (none, unless it set
toleratedFailureCount / toleratedFailurePercentage). "running" counts tasks handed to the worker and
not yet final (queued in Lambda or running; counted by the consumer about once a second, so it may trail
by that; a task waiting for Lambda's retry counts under "retrying"). "pending" counts every task not
yet final, running ones and those with a retry pending included.
Without --watch the exit code is 0 whenever the job was read (look at "state"); with --watch it is 0
when the job succeeded and 1 when it failed or was cancelled.
${exitCodes}`,
    )
    .action(async (jobId: string, raw: object, cmd: Command) => {
      const flags = parseFlags(statusFlags, { ...raw, jobId }, "fanout status");
      await withContext(cmd, (ctx) => status(ctx, io, flags));
    });

  program
    .command("results")
    .description("print each task's outcome as JSON Lines, in index order: result or error")
    .argument("<jobId>", "the job's id, as printed by submit")
    .option("--failed", "print only failed tasks (retry pending or final)")
    .option("--from <index>", "first task index to read", "0")
    .option("--limit <n>", "print at most this many lines (default: all)")
    .addHelpText(
      "after",
      `
Examples:
  fanout results demo-1 > results.jsonl
  fanout results demo-1 --failed | jq -r '.error.message'
  fanout results demo-1 --from 5000 --limit 100
One line per task: {"index":0,"status":"succeeded","result":{...}} ("result" only when the handler
returned one), {"index":1,"status":"failed","error":{"type":...,"message":...},"final":true}, or just
{"index":2,"status":"pending"} for a task not final yet (pending, claimed, dispatched, running,
requeued); "cancelled" for a task its job's cancel stopped. Tasks are read 1000 at a time, so a large
job streams. Exit 1 for an unknown job or a --from past its last task.
${exitCodes}`,
    )
    .action(async (jobId: string, raw: object, cmd: Command) => {
      const flags = parseFlags(resultsFlags, { ...raw, jobId }, "fanout results");
      await withContext(cmd, (ctx) => results(ctx, io, flags));
    });

  program
    .command("cancel")
    .description("cancel a job: queued tasks are dropped, dispatched ones skipped, running ones finish")
    .argument("<jobId>", "the job's id, as printed by submit")
    .option("--json", "print JSON: jobId, outcome, state, cancelledAt, finishedAt, stopReason")
    .addHelpText(
      "after",
      `
Examples:
  fanout cancel demo-1
  fanout cancel demo-1 --json && fanout status demo-1 --watch
Answers, and exit codes:
  cancelled job demo-1: queued tasks will be dropped, running tasks finish (tasks dispatched in the next 5 s may still start)      exit 0
  job demo-1 was already cancelled at <time>                                    exit 0
  job demo-1 already finished (succeeded|failed) at <time>; nothing to cancel   exit 1
  job demo-1 not found in table <table>                                         exit 1
The job then reads "cancelling" until its running tasks end, then "cancelled".
${exitCodes}`,
    )
    .action(async (jobId: string, raw: object, cmd: Command) => {
      const flags = parseFlags(cancelFlags, { ...raw, jobId }, "fanout cancel");
      await withContext(cmd, (ctx) => cancel(ctx, io, flags));
    });

  program
    .command("jobs")
    .description("list recent jobs, newest first: jobId, state, total, created, finished")
    .option("--limit <n>", "jobs per page (1-1000)", String(defaultJobsLimit))
    .option("--after <cursor>", "the next page: the cursor printed after the previous one")
    .option(
      "--json",
      "print JSON: {jobs: [{jobId, state, total, createdAt, finishedAt, stopReason, options}], next}",
    )
    .addHelpText(
      "after",
      `
Examples:
  fanout jobs
  fanout jobs --limit 50 --json | jq -r '.jobs[] | select(.state == "failed") | .jobId'
  fanout jobs --after <cursor>      # as printed: "next page: fanout jobs --after <cursor>"
A cursor that no listing printed is refused (exit 2). "next" is null on the last page.
${exitCodes}`,
    )
    .action(async (raw: object, cmd: Command) => {
      const flags = parseFlags(jobsFlags, raw, "fanout jobs");
      await withContext(cmd, (ctx) => jobs(ctx, io, flags));
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
    .command("doctor")
    .description(
      "before an apply: whether the settings' reserved concurrency fits the account's Lambda limit",
    )
    .option("--json", "print JSON: accountLimit, reservedByOthers, functions, unreservedAfter, fits")
    .addHelpText(
      "after",
      `
Reads GetAccountSettings and each function's GetFunctionConcurrency (IAM lambda:GetAccountSettings,
lambda:GetFunctionConcurrency). Lambda refuses a reservation that leaves fewer than 100 unreserved
concurrent executions; new accounts often have a limit of 10 or 1,000.
Examples:
  fanout doctor --settings terraform/environments/prod.tfvars.json
${exitCodes}`,
    )
    .action(async (raw: object, cmd: Command) => {
      const flags = parseFlags(doctorFlags, raw, "fanout doctor");
      await withContext(cmd, (ctx) => doctor(ctx, io, flags));
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
Metrics (namespace from the settings' metrics.namespace, default Fanout): JobsSubmitted, EnqueueSteps, TasksEnqueued,
TasksDispatched, DuplicatesDropped, ClaimsBusy, InvokesThrottled, InvokesFailed,
TasksCancelledUndispatched, TasksHeldBack, TasksSucceeded, TasksFailedRetryPending, TasksFailedFinal,
TasksCancelledUnstarted, TasksDeferred, TaskDuration, EnqueueToStartLag. On AWS this reads
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
