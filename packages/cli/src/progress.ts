import type { JobStatus } from "@fanout/dedup";
import type { ProgressLayout } from "@fanout/progress";
import { percentOf } from "./output.ts";

/**
 * How `status --watch` shows a job (through `@fanout/progress`): a bar with the counts on a
 * terminal, otherwise one time-stamped line each time the counts change.
 */
export const jobProgress: ProgressLayout<JobStatus> = {
  total: (s) => s.total,
  done: (s) => s.succeeded + s.failed,
  barFormat:
    "{bar} {percentage}% | {done}/{total} | succeeded {succeeded} | failed {failed} | retrying {retrying} | pending {pending}",
  tokens: (s) => ({
    succeeded: s.succeeded,
    failed: s.failed,
    retrying: s.retryPending,
    pending: s.pending,
    done: s.succeeded + s.failed,
  }),
  line: (s) => {
    const done = s.succeeded + s.failed;
    return `${s.jobId}: ${done}/${s.total} (${percentOf(done, s.total)}%) succeeded=${s.succeeded} failed=${s.failed} retrying=${s.retryPending} pending=${s.pending}`;
  },
  timestamps: true,
};
