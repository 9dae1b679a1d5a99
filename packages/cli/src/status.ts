import { type JobStatus, readJobStatus } from "@fanout/dedup";
import { progressView } from "@fanout/progress";
import type { CliContext } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import type { StatusFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { percentOf, table, writeJson, writeLine } from "./output.ts";
import { jobProgress } from "./progress.ts";

/** What `status --json` prints: the job's status (see {@link JobStatus}) with a percentage and an ISO time. */
export interface StatusReport extends Omit<JobStatus, "createdAt" | "epoch"> {
  percent: number;
  createdAt: string | null;
}

export function toReport(s: JobStatus): StatusReport {
  return {
    jobId: s.jobId,
    total: s.total,
    succeeded: s.succeeded,
    failed: s.failed,
    retryPending: s.retryPending,
    pending: s.pending,
    percent: percentOf(s.succeeded + s.failed, s.total),
    done: s.done,
    createdAt: s.createdAt > 0 ? new Date(s.createdAt).toISOString() : null,
  };
}

async function read(ctx: CliContext, jobId: string): Promise<JobStatus> {
  try {
    return await readJobStatus(ctx.store, jobId);
  } catch (error) {
    if ((error as Error).name === "JobNotFoundError") {
      throw new CliError(`job ${jobId} not found in table ${ctx.names.table}`, { cause: error });
    }
    if ((error as Error).name === "ResourceNotFoundException") {
      throw new CliError(
        `table ${ctx.names.table} not found (check --prefix, --settings, the region and AWS_ENDPOINT_URL_DYNAMODB)`,
        { cause: error },
      );
    }
    throw error;
  }
}

function print(io: Io, status: JobStatus, json: boolean): void {
  const r = toReport(status);
  if (json) {
    writeJson(io.stdout, r);
    return;
  }
  const rows: [string, string][] = [
    ["total", String(r.total)],
    ["succeeded", String(r.succeeded)],
    ["failed", String(r.failed)],
    ["retrying", String(r.retryPending)],
    ["pending", String(r.pending)],
    ["percent", `${r.percent}%`],
    ["done", r.done ? "yes" : "no"],
  ];
  if (r.createdAt) rows.push(["created", r.createdAt]);
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

/**
 * `fanout status <jobId>`: a job's counts. Exit 0 once read. With `watch`, refreshes until every task is
 * final, then prints the counts and exits 0 if no task failed, 1 if any did (1 also on `--timeout`).
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
  try {
    for (;;) {
      view.update(current);
      if (current.done || io.signal?.aborted || Date.now() >= deadline) break;
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
  if (current.failed > 0) {
    io.stderr.write(
      `fanout: job ${flags.jobId} finished with ${current.failed} failed task${current.failed === 1 ? "" : "s"}; see 'fanout failed list'\n`,
    );
    return ExitCode.Failure;
  }
  return ExitCode.Ok;
}
