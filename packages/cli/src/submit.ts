import { readFile } from "node:fs/promises";
import {
  type Issue,
  type Job,
  type JobRunOptions,
  parseJob,
  parseSourceJob,
  type SourceLayout,
} from "@fanout/core";
import type { CliContext } from "./context.ts";
import { CliError, ExitCode, oneLine, UsageError } from "./errors.ts";
import type { SubmitFlags } from "./flags.ts";
import { type Io, readAll } from "./io.ts";
import { functionErrorText, invokeFunction } from "./lambda.ts";
import { printable, truncate, writeJson, writeLine } from "./output.ts";
import { status } from "./status.ts";
import {
  checkSourceFile,
  firstCharOf,
  inputBucketOf,
  progressLine,
  sizeText,
  sourceLayoutOf,
  spoolStdin,
  uploadKeyOf,
  uploadSource,
} from "./upload.ts";

/** What `main` answers; a source job adds how many tasks it sent so far, and whether it handed the rest over. */
interface SubmitResult {
  jobId: string;
  tasks: number;
  created: boolean;
  enqueued?: number;
  handedOver?: boolean;
  /** Another run of main is enqueueing this (source) job right now; this one sent nothing. */
  inProgress?: boolean;
}

async function readJobText(io: Io, file: string): Promise<string> {
  if (file === "-") return readAll(io.stdin);
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw readError(file, error);
  }
}

function readError(file: string, error: unknown): CliError {
  const e = error as NodeJS.ErrnoException;
  return new CliError(`cannot read job file ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`, {
    cause: error,
  });
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

/** The option flags as job options (`--tolerated-failures` is `toleratedFailureCount`). */
function runOptionsOf(flags: SubmitFlags): JobRunOptions {
  return {
    ...(flags.maxConcurrency === undefined ? {} : { maxConcurrency: flags.maxConcurrency }),
    ...(flags.toleratedFailures === undefined ? {} : { toleratedFailureCount: flags.toleratedFailures }),
    ...(flags.toleratedFailurePercentage === undefined
      ? {}
      : { toleratedFailurePercentage: flags.toleratedFailurePercentage }),
  };
}

/** What the flags set on the job: its jobId and options. */
function overridesOf(flags: SubmitFlags): Record<string, unknown> {
  return { ...(flags.jobId === undefined ? {} : { jobId: flags.jobId }), ...runOptionsOf(flags) };
}

/** A job document with the option flags set on it (a flag wins over the document's own value). */
function withOverrides(text: string, overrides: Record<string, unknown>): string {
  if (Object.keys(overrides).length === 0) return text;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text; // not JSON: validateJob says so
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return text;
  return JSON.stringify({ ...doc, ...overrides });
}

async function invokeMain(ctx: CliContext, payload: string): Promise<SubmitResult> {
  const out = await invokeFunction(ctx.lambda, ctx.names.mainFunction, payload);
  if (out.functionError) {
    throw new CliError(
      `${ctx.names.mainFunction} refused the job: ${oneLine(functionErrorText(out.payload))}`,
    );
  }
  try {
    return JSON.parse(out.payload) as SubmitResult;
  } catch (error) {
    throw new CliError(
      `${ctx.names.mainFunction} answered with something that is not JSON: ${truncate(out.payload, 200)}`,
      { cause: error },
    );
  }
}

/** The request main gets for a source job, checked as main checks it (`parseSourceJob`). */
export function sourceRequestOf(url: string, flags: SubmitFlags): Record<string, unknown> {
  const request = { ...overridesOf(flags), source: url, ...(flags.format ? { format: flags.format } : {}) };
  try {
    parseSourceJob(request);
  } catch (error) {
    const issues = (error as { issues?: readonly Issue[] }).issues;
    if (!issues) throw error;
    throw new CliError(
      `invalid job (${issues.length} problem${issues.length === 1 ? "" : "s"}); nothing was sent`,
      { cause: error, details: issues.map(issueLine) },
    );
  }
  return request;
}

/** Uploads a checked local source to the input bucket; returns its S3 URL. */
async function uploadFile(
  ctx: CliContext,
  io: Io,
  flags: SubmitFlags,
  path: string,
  layout: SourceLayout,
  shownAs: string,
): Promise<{ url: string; request: Record<string, unknown> }> {
  const progress = progressLine(io.stderr);
  const checked = await checkSourceFile(path, layout, flags.format, progress);
  const bucket = await inputBucketOf(ctx, flags.bucket);
  const url = `s3://${bucket}/${uploadKeyOf(checked)}`;
  const request = sourceRequestOf(url, flags);
  if (!ctx.s3) throw new CliError("this context has no S3 client, so it cannot upload a source");
  const uploaded = await uploadSource(ctx.s3, bucket, checked, progress);
  const what = `${shownAs} (${sizeText(checked.bytes)}, ${checked.tasks} ${checked.format === "names" ? "names" : "tasks"})`;
  writeLine(
    io.stderr,
    uploaded ? `uploaded ${what} to ${url}` : `${what} is already in ${url}: not uploaded again`,
  );
  return { url, request };
}

/**
 * `fanout submit <file|->`: a job document is validated locally, then sent to `main` (invoked
 * synchronously), which records the job and enqueues its tasks. A tasks source (a `.jsonl`/`.ndjson` file,
 * a `.json` file holding one array, any file with `--source`) is checked record by record, uploaded to the
 * input bucket under its sha256, and submitted as `{"source": "s3://..."}`; `--source s3://bucket/key`
 * submits an object already in S3. Prints the jobId and task count; with `watch`, continues as
 * `status --watch` (and exits as it does).
 *
 * @example
 * const code = await submit(ctx, io, { input: { kind: "file", file: "job.json", source: false }, watch: false, json: false, interval: 2, timeout: 0 });
 */
export async function submit(ctx: CliContext, io: Io, flags: SubmitFlags): Promise<number> {
  const { input } = flags;
  let source: { url: string; request: Record<string, unknown> } | undefined;
  let job: Job | undefined;
  if (input.kind === "s3") {
    source = { url: input.url, request: sourceRequestOf(input.url, flags) };
  } else if (input.file === "-" && input.source) {
    const spooled = await spoolStdin(io.stdin);
    try {
      source = await uploadFile(ctx, io, flags, spooled.path, "lines", "stdin");
    } finally {
      await spooled.remove();
    }
  } else {
    const layout =
      input.file === "-" ? undefined : sourceLayoutOf(input.file, await peek(input.file), input.source);
    if (layout) source = await uploadFile(ctx, io, flags, input.file, layout, input.file);
    else {
      for (const [flag, value] of [
        ["--format", flags.format],
        ["--bucket", flags.bucket],
      ] as const) {
        if (value !== undefined)
          throw new UsageError(
            `${flag} is for a tasks source (.jsonl, .ndjson, a .json array, --source); ${input.file} is a job document`,
            "fanout submit",
          );
      }
      const text = withOverrides(await readJobText(io, input.file), overridesOf(flags));
      job = validateJob(text, ctx.settings.max_tasks_per_job);
    }
  }
  const payload = JSON.stringify(source ? source.request : requestOf(job as Job));
  const result = await invokeMain(ctx, payload);
  if (flags.json && !flags.watch) writeJson(io.stdout, result);
  else {
    const options = optionsText(job ? job.options : runOptionsOf(flags));
    const from = source ? ` from ${source.url}` : "";
    const handedOver = result.handedOver
      ? `; ${result.enqueued ?? 0} enqueued so far, main goes on with the rest`
      : result.inProgress
        ? `; ${result.enqueued ?? 0} enqueued so far, another run of main is enqueueing it`
        : "";
    const again = result.created
      ? ""
      : source
        ? " (already submitted: each task still runs once)"
        : " (already submitted: tasks re-sent, each still runs once)";
    writeLine(
      flags.json ? io.stderr : io.stdout,
      `submitted job ${result.jobId}: ${result.tasks} tasks${from}${options ? ` (${options})` : ""}${handedOver}${again}`,
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

/** The file's first non-blank character, or a one-line error when it cannot be read. */
async function peek(file: string): Promise<string | undefined> {
  try {
    return await firstCharOf(file);
  } catch (error) {
    throw readError(file, error);
  }
}
