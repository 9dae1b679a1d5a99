import type { JobRunOptions } from "@fanout/core";
import { type JobPage, type JobState, listJobs } from "@fanout/job-state";
import type { CliContext } from "./context.ts";
import { ExitCode, UsageError } from "./errors.ts";
import { defaultJobsLimit, type JobsFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { table, writeJson, writeLine } from "./output.ts";
import { notFoundOrTable } from "./status.ts";

/** One job of `jobs --json`. */
export interface JobsEntry {
  jobId: string;
  state: JobState;
  total: number;
  createdAt: string | null;
  finishedAt: string | null;
  stopReason: string | null;
  options: JobRunOptions;
}

/** What `jobs --json` prints: a page of jobs, newest first, and the cursor of the next page (null on the last). */
export interface JobsReport {
  jobs: JobsEntry[];
  next: string | null;
}

const iso = (ms: number | undefined) => (ms !== undefined && ms > 0 ? new Date(ms).toISOString() : null);

/**
 * One page, and its cursor only when another job follows: DynamoDB returns a key whenever a page is full,
 * also when nothing comes after, so a full page is confirmed with a one-item read of the next.
 */
async function page(ctx: CliContext, flags: JobsFlags): Promise<JobPage> {
  try {
    const found = await listJobs(ctx.store, {
      limit: flags.limit,
      ...(flags.after === undefined ? {} : { after: flags.after }),
    });
    if (found.next === undefined) return found;
    const more = await listJobs(ctx.store, { limit: 1, after: found.next });
    return more.jobs.length > 0 ? found : { jobs: found.jobs };
  } catch (error) {
    if ((error as Error).name === "InvalidCursorError")
      throw new UsageError(`--after: ${(error as Error).message}`, "fanout jobs", { cause: error });
    throw notFoundOrTable(ctx, "", error);
  }
}

/**
 * `fanout jobs`: recent jobs, newest first, `limit` per page; prints the command for the next page when
 * there is one. A cursor no listing printed is a usage error (exit 2).
 *
 * @example
 * const code = await jobs(ctx, io, { limit: 20, json: false });
 */
export async function jobs(ctx: CliContext, io: Io, flags: JobsFlags): Promise<number> {
  const found = await page(ctx, flags);
  const report: JobsReport = {
    jobs: found.jobs.map((j) => ({
      jobId: j.jobId,
      state: j.state,
      total: j.total,
      createdAt: iso(j.createdAt),
      finishedAt: iso(j.finishedAt),
      stopReason: j.stopReason ?? null,
      options: j.options,
    })),
    next: found.next ?? null,
  };
  if (flags.json) {
    writeJson(io.stdout, report);
    return ExitCode.Ok;
  }
  if (report.jobs.length === 0) {
    writeLine(io.stdout, flags.after ? "no more jobs" : `no jobs in table ${ctx.names.table}`);
    return ExitCode.Ok;
  }
  writeLine(
    io.stdout,
    table(
      ["JOB ID", "STATE", "TOTAL", "CREATED", "FINISHED"],
      report.jobs.map((j) => [j.jobId, j.state, String(j.total), j.createdAt ?? "-", j.finishedAt ?? "-"]),
    ),
  );
  if (report.next) {
    const limit = flags.limit === defaultJobsLimit ? "" : ` --limit ${flags.limit}`;
    writeLine(io.stdout, `next page: fanout jobs${limit} --after ${report.next}`);
  }
  return ExitCode.Ok;
}
