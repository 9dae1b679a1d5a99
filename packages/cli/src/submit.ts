import { readFile } from "node:fs/promises";
import { type Issue, type Job, type JobRunOptions, parseJob } from "@fanout/core";
import type { CliContext } from "./context.ts";
import { CliError, ExitCode, oneLine } from "./errors.ts";
import type { SubmitFlags } from "./flags.ts";
import { type Io, readAll } from "./io.ts";
import { functionErrorText, invokeFunction } from "./lambda.ts";
import { printable, truncate, writeJson, writeLine } from "./output.ts";
import { status } from "./status.ts";

/** What `main` answers. */
interface SubmitResult {
  jobId: string;
  tasks: number;
  created: boolean;
}

async function readJobText(io: Io, file: string): Promise<string> {
  if (file === "-") return readAll(io.stdin);
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new CliError(`cannot read job file ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`, {
      cause: error,
    });
  }
}

function issueLine(issue: Issue): string {
  const list = issue.path.startsWith("tasks") ? "tasks" : "names";
  const where = issue.index === undefined ? issue.path || "job" : `${list}[${issue.index}]`;
  return `  ${where}: ${printable(truncate(issue.reason, 200))}`;
}

/** Validates locally, exactly as `main` will: an invalid job is reported whole and nothing is sent. */
export function validateJob(text: string, maxTasks: number): Job {
  try {
    return parseJob(text, { maxTasks });
  } catch (error) {
    const issues = (error as { issues?: readonly Issue[] }).issues;
    if (!issues) throw error;
    const bad = new Set(issues.flatMap((i) => (i.index === undefined ? [] : [i.index])));
    const summary =
      bad.size > 0
        ? `invalid job: ${bad.size} bad entr${bad.size === 1 ? "y" : "ies"} (${issues.length} problem${issues.length === 1 ? "" : "s"}); nothing was sent`
        : `invalid job (${issues.length} problem${issues.length === 1 ? "" : "s"}); nothing was sent`;
    throw new CliError(summary, { cause: error, details: issues.map(issueLine) });
  }
}

/**
 * What is sent to main: the validated job in its own format, with its options. The jobId is sent explicitly,
 * so the id printed is the one main records even when it was derived (the hash covers only tasks and options).
 */
export function requestOf(job: Job): Record<string, unknown> {
  return {
    jobId: job.jobId,
    ...job.options,
    ...(job.format === "names" ? { names: job.names.map((name) => ({ name })) } : { tasks: job.payloads }),
  };
}

/** `maxConcurrency 5, toleratedFailureCount 2`, or "" for a job without options. */
export function optionsText(options: JobRunOptions): string {
  return Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

/**
 * `fanout submit <file|->`: validates the job locally, then invokes `main` synchronously, which records
 * the job and enqueues its tasks. Prints the jobId and task count; with `watch`, continues as
 * `status --watch` (and exits as it does).
 *
 * @example
 * const code = await submit(ctx, io, { file: "job.json", watch: false, json: false, interval: 2, timeout: 0 });
 */
export async function submit(ctx: CliContext, io: Io, flags: SubmitFlags): Promise<number> {
  const text = await readJobText(io, flags.file);
  const job = validateJob(text, ctx.settings.max_tasks_per_job);
  const payload = JSON.stringify(requestOf(job));
  const out = await invokeFunction(ctx.lambda, ctx.names.mainFunction, payload);
  if (out.functionError) {
    throw new CliError(
      `${ctx.names.mainFunction} refused the job: ${oneLine(functionErrorText(out.payload))}`,
    );
  }
  let result: SubmitResult;
  try {
    result = JSON.parse(out.payload) as SubmitResult;
  } catch (error) {
    throw new CliError(
      `${ctx.names.mainFunction} answered with something that is not JSON: ${truncate(out.payload, 200)}`,
      { cause: error },
    );
  }
  if (flags.json && !flags.watch) writeJson(io.stdout, result);
  else {
    const again = result.created ? "" : " (already submitted: tasks re-sent, each still runs once)";
    const options = optionsText(job.options);
    writeLine(
      flags.json ? io.stderr : io.stdout,
      `submitted job ${result.jobId}: ${result.tasks} tasks${options ? ` (${options})` : ""}${again}`,
    );
  }
  if (!flags.watch) return ExitCode.Ok;
  return status(ctx, io, {
    jobId: result.jobId,
    watch: true,
    json: flags.json,
    interval: flags.interval,
    timeout: flags.timeout,
  });
}
