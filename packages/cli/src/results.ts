import { readResults, type TaskResult } from "@fanout/dedup";
import { type JobInfo, readJob } from "@fanout/job-state";
import type { CliContext } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import type { ResultsFlags } from "./flags.ts";
import type { Io, Output } from "./io.ts";
import { notFoundOrTable } from "./status.ts";

/** Tasks read per {@link readResults} call: 10 BatchGetItem requests of 100 keys, sent in parallel. */
export const resultsPageSize = 1_000;

/** Reads the job record, or fails with a clear "not found" (exit 1). */
export async function jobOrFail(ctx: CliContext, jobId: string): Promise<JobInfo> {
  let job: JobInfo | undefined;
  try {
    job = await readJob(ctx.store, jobId);
  } catch (error) {
    throw notFoundOrTable(ctx, jobId, error);
  }
  if (!job) throw new CliError(`job ${jobId} not found in table ${ctx.names.table}`);
  return job;
}

/** One JSON Lines line: `{"index","status"}`, plus `"result"` on a success that returned one, `"error"` and `"final"` on a failure. */
export function resultLine(r: TaskResult): string {
  const line: Record<string, unknown> = { index: r.index, status: r.status };
  if (r.result !== undefined) line.result = r.result;
  if (r.error !== undefined) line.error = r.error;
  if (r.final !== undefined) line.final = r.final;
  return `${JSON.stringify(line)}\n`;
}

/** Writes, and waits for a stream that buffers (a slow pipe) to drain, so a large job never piles up in memory. */
async function write(out: Output, text: string): Promise<void> {
  const stream = out as Output & { once?: (event: string, listener: () => void) => unknown };
  if (out.write(text) === false && typeof stream.once === "function") {
    await new Promise<void>((resolve) => stream.once?.("drain", resolve));
  }
}

/**
 * `fanout results <jobId>`: the outcome of each task as JSON Lines, in index order, read
 * {@link resultsPageSize} tasks at a time (the next page is read while the current one is written), so a
 * 100,000-task job streams. `failed` prints only failed tasks (retry pending or final); `from` is the first
 * index read; `limit` caps the lines printed. Exit 1 for an unknown job or a `from` past its last task.
 *
 * @example
 * const code = await results(ctx, io, { jobId: "demo-1", failed: true, from: 0 });
 */
export async function results(ctx: CliContext, io: Io, flags: ResultsFlags): Promise<number> {
  const job = await jobOrFail(ctx, flags.jobId);
  if (flags.from > 0 && flags.from >= job.total) {
    throw new CliError(
      `--from ${flags.from} is past the last task of job ${flags.jobId} (it has ${job.total} task${job.total === 1 ? "" : "s"}, indexes 0 to ${job.total - 1})`,
    );
  }
  const limit = flags.limit ?? Number.POSITIVE_INFINITY;
  const page = (from: number) =>
    from < job.total ? readResults(ctx.store, job, { from, count: resultsPageSize }) : undefined;
  let printed = 0;
  let from = flags.from;
  let next = page(from);
  while (next && printed < limit) {
    const rows = await next;
    from += resultsPageSize;
    next = page(from);
    next?.catch(() => {}); // awaited on the next turn; a failure there is reported then
    let text = "";
    for (const r of rows) {
      if (printed >= limit) break;
      if (flags.failed && r.status !== "failed") continue;
      text += resultLine(r);
      printed++;
    }
    if (text) await write(io.stdout, text);
    if (io.signal?.aborted) return ExitCode.Interrupted;
  }
  return ExitCode.Ok;
}
