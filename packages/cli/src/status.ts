import type { JobRunOptions } from "@fanout/core";
import { type JobState, type JobStatus, readJobStatus } from "@fanout/job-state";
import { progressView } from "@fanout/progress";
import type { CliContext } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import type { StatusFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { percentOf, printable, table, writeJson, writeLine } from "./output.ts";
import { jobProgress } from "./progress.ts";

/**
 * What `status --json` prints: the job's whole status (see {@link JobStatus}) with a percentage and ISO
 * times. `pending` counts every task not yet final, `running` and `retryPending` included.
 */
export interface StatusReport {
  jobId: string;
  state: JobState;
  stopReason: string | null;
  total: number;
  succeeded: number;
  /** Failed for good (no retry follows). */
  failed: number;
  /** Failed, with a retry by Lambda still to come. */
  retryPending: number;
  running: number;
  cancelled: number;
  pending: number;
  /** Final tasks (succeeded, failed for good, cancelled) in whole percent of the total. */
  percent: number;
  done: boolean;
  options: JobRunOptions;
  createdAt: string | null;
  finishedAt: string | null;
  /** When the `job.finished` notice was published; null until then. */
  notifiedAt: string | null;
  epoch: number;
}

const iso = (ms: number | undefined) => (ms !== undefined && ms > 0 ? new Date(ms).toISOString() : null);

export function toReport(s: JobStatus): StatusReport {
  return {
    jobId: s.jobId,
    state: s.state,
    stopReason: s.stopReason ?? null,
    total: s.total,
    succeeded: s.succeeded,
    failed: s.failed,
    retryPending: s.retryPending,
    running: s.running,
    cancelled: s.cancelled,
    pending: s.pending,
    percent: percentOf(s.succeeded + s.failed + s.cancelled, s.total),
    done: s.done,
    options: s.options,
    createdAt: iso(s.createdAt),
    finishedAt: iso(s.finishedAt),
    notifiedAt: iso(s.notifiedAt),
    epoch: s.epoch,
  };
}

const finalStates: ReadonlySet<JobState> = new Set(["succeeded", "failed", "cancelled"]);

/** Whether more final failures than the job tolerates happened (any failure, when it set no threshold). */
export function overTolerance(s: Pick<JobStatus, "failed" | "total" | "options">): boolean {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percent } = s.options;
  if (count === undefined && percent === undefined) return s.failed > 0;
  if (count !== undefined && s.failed > count) return true;
  return percent !== undefined && s.failed * 100 > percent * s.total;
}

/**
 * The state a job ends in, for `--watch`'s exit code: a cancel or an exceeded failure threshold decides it;
 * otherwise the failures now against the tolerance. That is the recorded final state, except before it is
 * written (the write that finishes a job follows the last count) and after a redrive: a job recorded
 * `failed` for its failed tasks, whose failed tasks were redriven and succeeded, ends `succeeded` here
 * (the recorded state, like the `job.finished` notice, is written once and stays).
 */
export function endStateOf(s: JobStatus): JobState {
  if (s.state === "cancelled" || s.state === "cancelling") return "cancelled";
  if (s.state === "failing" || (s.state === "failed" && s.stopReason !== undefined)) return "failed";
  return overTolerance(s) ? "failed" : "succeeded";
}

/** A job recorded `failed` whose failures, after a redrive, are now within what it tolerates. */
export function redrivenSince(s: JobStatus): boolean {
  return s.done && s.state === "failed" && endStateOf(s) === "succeeded";
}

/** "5", "unlimited". */
function concurrencyText(options: JobRunOptions): string {
  return options.maxConcurrency === undefined ? "unlimited" : String(options.maxConcurrency);
}

/** "10 tasks", "5%", "10 tasks or 5%", or "none (any final failure fails the job)". */
export function toleranceText(options: JobRunOptions): string {
  const parts = [
    ...(options.toleratedFailureCount === undefined
      ? []
      : [`${options.toleratedFailureCount} task${options.toleratedFailureCount === 1 ? "" : "s"}`]),
    ...(options.toleratedFailurePercentage === undefined ? [] : [`${options.toleratedFailurePercentage}%`]),
  ];
  return parts.length === 0 ? "none (any final failure fails the job)" : parts.join(" or ");
}

async function read(ctx: CliContext, jobId: string): Promise<JobStatus> {
  try {
    return await readJobStatus(ctx.store, jobId);
  } catch (error) {
    throw notFoundOrTable(ctx, jobId, error);
  }
}

/** A missing job or table as a {@link CliError} that says what to check; anything else unchanged. */
export function notFoundOrTable(ctx: CliContext, jobId: string, error: unknown): unknown {
  if ((error as Error).name === "JobNotFoundError") {
    return new CliError(`job ${jobId} not found in table ${ctx.names.table}`, { cause: error });
  }
  if ((error as Error).name === "ResourceNotFoundException") {
    return new CliError(
      `table ${ctx.names.table} not found (check --prefix, --settings, the region and AWS_ENDPOINT_URL_DYNAMODB)`,
      { cause: error },
    );
  }
  return error;
}

function print(io: Io, status: JobStatus, json: boolean): void {
  const r = toReport(status);
  if (json) {
    writeJson(io.stdout, r);
    return;
  }
  const state = redrivenSince(status)
    ? `failed (recorded when it finished; redriven since: ${r.failed} failed now)`
    : r.state;
  const rows: [string, string][] = [
    ["state", state],
    ...(r.stopReason === null ? [] : [["stop reason", printable(r.stopReason)] as [string, string]]),
    ["total", String(r.total)],
    ["succeeded", String(r.succeeded)],
    ["failed (final)", String(r.failed)],
    ["failed (retry pending)", String(r.retryPending)],
    ["running", String(r.running)],
    ["cancelled", String(r.cancelled)],
    ["pending", String(r.pending)],
    ["percent", `${r.percent}%`],
    ["done", r.done ? "yes" : "no"],
    ["max concurrency", concurrencyText(r.options)],
    ["tolerated failures", toleranceText(r.options)],
    ["created", r.createdAt ?? "-"],
    ["finished", r.finishedAt ?? "-"],
  ];
  writeLine(io.stdout, table(["job", r.jobId], rows));
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** How long a watch waits, once every task is final, for the job's final state to be written. */
export const finalStateGraceMs = 5_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * `fanout status <jobId>`: a job's counts, state and options. Exit 0 once read. With `watch`, refreshes
 * until every task is final (succeeded, failed for good, or cancelled) and the job's final state is
 * recorded, prints the status, and exits 0 only if the job `succeeded` (failures within its tolerance
 * included), 1 if it `failed` or was `cancelled` (1 also on `--timeout`).
 *
 * @example
 * const code = await status(ctx, io, { jobId: "j-1", watch: true, json: true, interval: 1, timeout: 0 });
 */
export async function status(ctx: CliContext, io: Io, flags: StatusFlags): Promise<number> {
  const first = await read(ctx, flags.jobId);
  if (!flags.watch) {
    print(io, first, flags.json);
    return ExitCode.Ok;
  }
  // Progress is for people: with --json it goes to stderr so stdout stays one JSON document.
  const view = progressView(flags.json ? io.stderr : io.stdout, jobProgress);
  const deadline = flags.timeout > 0 ? Date.now() + flags.timeout * 1000 : Number.POSITIVE_INFINITY;
  let current = first;
  let doneSince: number | undefined;
  try {
    for (;;) {
      view.update(current);
      if (current.done) {
        doneSince ??= Date.now();
        if (finalStates.has(current.state) || Date.now() - doneSince >= finalStateGraceMs) break;
      }
      if (io.signal?.aborted || Date.now() >= deadline) break;
      await sleep(Math.min(flags.interval * 1000, Math.max(0, deadline - Date.now())), io.signal);
      if (io.signal?.aborted) break;
      current = await read(ctx, flags.jobId);
    }
  } finally {
    view.stop();
  }
  print(io, current, flags.json);
  if (io.signal?.aborted) return ExitCode.Interrupted;
  if (!current.done)
    throw new CliError(`job ${flags.jobId} not done after ${flags.timeout} s (${current.pending} pending)`);
  const end = endStateOf(current);
  const why = current.stopReason ? ` (${printable(current.stopReason)})` : "";
  if (end === "failed") {
    io.stderr.write(
      `fanout: job ${flags.jobId} failed${why}: it finished with ${plural(current.failed, "failed task")}` +
        `${current.cancelled > 0 ? ` and ${current.cancelled} cancelled` : ""}; see 'fanout results ${flags.jobId} --failed'\n`,
    );
    return ExitCode.Failure;
  }
  if (end === "cancelled") {
    io.stderr.write(
      `fanout: job ${flags.jobId} was cancelled${why}: ${current.succeeded} succeeded, ${current.failed} failed, ${current.cancelled} cancelled\n`,
    );
    return ExitCode.Failure;
  }
  if (redrivenSince(current)) {
    io.stderr.write(
      `fanout: job ${flags.jobId} was recorded failed when it finished; redriven since, ${plural(current.failed, "task")} failed now\n`,
    );
  } else if (current.failed > 0) {
    io.stderr.write(
      `fanout: job ${flags.jobId} succeeded with ${plural(current.failed, "failed task")}, within its tolerance (${toleranceText(current.options)})\n`,
    );
  }
  return ExitCode.Ok;
}
