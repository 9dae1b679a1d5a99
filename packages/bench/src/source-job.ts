import { NotMeasuredError } from "./errors.ts";
import type { RemoteStack } from "./remote-stack.ts";

/**
 * SECTION 4, TO FILL IN when S3 source jobs land (`{"jobId", "source": "s3://bucket/key"}`, JSON Lines):
 * what enqueueing a large source job costs main.
 */
export interface SourceJobFigures {
  tasks: number;
  /** main's validation of the whole object (its records read and checked), ms. */
  validateMs: number;
  /** From the job recorded to its last task in the queue, over all of main's enqueue steps, ms. */
  enqueueMs: number;
  /** Largest resident set of a main instance while it validated and enqueued (sampled from /proc). */
  mainPeakRssMb: number;
  /** main's configured memory (settings `functions.main.memory_mb`): the target is peak < this. */
  mainMemoryMb: number;
}

/**
 * Measures a `tasks`-record source job: upload a JSON Lines object to the stack's input bucket, submit
 * `{jobId, source}` to main, sample main's processes (`sampleTrees` in proc-stats.ts) until every task is
 * enqueued (job record's enqueue progress), and read validate/enqueue times from main's log lines.
 *
 * Not implemented yet: it throws {@link NotMeasuredError}, which the table prints as "not measured (…)".
 */
export async function measureSourceJob(
  _stack: RemoteStack | undefined,
  _options: { tasks: number },
): Promise<SourceJobFigures> {
  throw new NotMeasuredError("S3 source jobs not landed");
}
