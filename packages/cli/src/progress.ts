import type { JobStatus } from "@fanout/job-state";
import type { ProgressLayout } from "@fanout/progress";
import { percentOf } from "./output.ts";

const finalCount = (s: JobStatus) => s.succeeded + s.failed + s.cancelled;

/**
 * How `status --watch` shows a job (through `@fanout/progress`): a bar with the counts on a
 * terminal, otherwise one time-stamped line each time the counts change. A task is done once it
 * succeeded, failed for good or was cancelled.
 */
export const jobProgress: ProgressLayout<JobStatus> = {
  total: (s) => s.total,
  done: finalCount,
  barFormat:
    "{bar} {percentage}% | {done}/{total} | succeeded {succeeded} | failed {failed} | retrying {retrying} | running {running} | cancelled {cancelled} | pending {pending} | {state}",
  tokens: (s) => ({
    state: s.state,
    succeeded: s.succeeded,
    failed: s.failed,
    retrying: s.retryPending,
    running: s.running,
    cancelled: s.cancelled,
    pending: s.pending,
    done: finalCount(s),
  }),
  line: (s) => {
    const done = finalCount(s);
    return `${s.jobId}: ${done}/${s.total} (${percentOf(done, s.total)}%) succeeded=${s.succeeded} failed=${s.failed} retrying=${s.retryPending} running=${s.running} cancelled=${s.cancelled} pending=${s.pending} state=${s.state}`;
  },
  timestamps: true,
};
