import { type CancelResult, cancelJob, type JobInfo, jobStateOf } from "@fanout/job-state";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./errors.ts";
import type { CancelFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { printable, writeJson, writeLine } from "./output.ts";
import { notFoundOrTable } from "./status.ts";

/** What `cancel --json` prints. */
export interface CancelReport {
  jobId: string;
  /** `finished`: the job had ended before (a job that ended cancelled reads as `already-cancelled`). */
  outcome: "cancelled" | "already-cancelled" | "finished" | "not-found";
  state: string | null;
  cancelledAt: string | null;
  finishedAt: string | null;
  stopReason: string | null;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function toCancelReport(jobId: string, result: CancelResult): CancelReport {
  if (result.outcome === "not-found")
    return {
      jobId,
      outcome: "not-found",
      state: null,
      cancelledAt: null,
      finishedAt: null,
      stopReason: null,
    };
  const job: JobInfo = result.job;
  // A job that was cancelled and has since finished (as cancelled) answers a second cancel the same way.
  const outcome =
    result.outcome === "finished" && job.finalState === "cancelled" ? "already-cancelled" : result.outcome;
  return {
    jobId,
    outcome,
    state: jobStateOf(job),
    cancelledAt: iso(job.cancelledAt),
    finishedAt: iso(job.finishedAt),
    stopReason: job.stopReason ?? null,
  };
}

/** The answer in words, and whether it is a success (exit 0) or not (exit 1, on stderr). */
export function cancelMessage(r: CancelReport, table: string): { ok: boolean; text: string } {
  switch (r.outcome) {
    case "cancelled":
      return {
        ok: true,
        text: `cancelled job ${r.jobId}: queued tasks will be dropped, running tasks finish (tasks dispatched in the next 5 s may still start)`,
      };
    case "already-cancelled":
      return {
        ok: true,
        text: `job ${r.jobId} was already cancelled at ${r.cancelledAt}${r.finishedAt ? ` (finished ${r.finishedAt})` : ""}`,
      };
    case "finished": {
      const why = r.stopReason ? `: ${printable(r.stopReason)}` : "";
      return {
        ok: false,
        text: `job ${r.jobId} already finished (${r.state}${why}) at ${r.finishedAt}; nothing to cancel`,
      };
    }
    case "not-found":
      return { ok: false, text: `job ${r.jobId} not found in table ${table}` };
  }
}

/**
 * `fanout cancel <jobId>`: one conditional write on the job record. The consumer then drops the job's
 * queued tasks without invoking the worker, the worker skips the ones dispatched but not started, and
 * running tasks finish. Exit 0 when the job is cancelled now or was already; exit 1 when it had finished
 * (succeeded or failed) or does not exist.
 *
 * @example
 * const code = await cancel(ctx, io, { jobId: "demo-1", json: false });
 */
export async function cancel(ctx: CliContext, io: Io, flags: CancelFlags): Promise<number> {
  let result: CancelResult;
  try {
    result = await cancelJob(ctx.store, flags.jobId);
  } catch (error) {
    throw notFoundOrTable(ctx, flags.jobId, error);
  }
  const report = toCancelReport(flags.jobId, result);
  const { ok, text } = cancelMessage(report, ctx.names.table);
  if (flags.json) writeJson(io.stdout, report);
  if (ok) {
    if (!flags.json) writeLine(io.stdout, text);
    return ExitCode.Ok;
  }
  io.stderr.write(`fanout: ${text}\n`);
  return ExitCode.Failure;
}
