import { type DedupStore, type JobInfo, readJob } from "@fanout/dedup";

/**
 * What one consumer run knows of the jobs whose tasks it meets: each job record read at most once per
 * `maxAgeMs` (one read per job, not per task), and which capped jobs had every slot held when this run
 * last tried (for `maxAgeMs`), so their tasks are held back without a read. Only a hint: the worker reads
 * the job record itself before it starts a task (cancel), and slots are taken with conditional writes (cap),
 * so a stale view costs a wasted dispatch or a short wait, never a broken guarantee.
 */
export interface JobView {
  job(jobId: string): Promise<JobInfo | undefined>;
  /** True when this run found every slot of the job held less than `maxAgeMs` ago. */
  full(job: JobInfo): boolean;
  markFull(job: JobInfo): void;
  /**
   * Seconds to hold the next task of a full job back: `baseSeconds`, plus one per `maxConcurrency` tasks this
   * run already held (at most 300), so a long backlog behind a small cap waits in the queue spread out, in
   * order, instead of every task coming back every few seconds.
   */
  holdSeconds(job: JobInfo, baseSeconds: number): number;
}

export function jobView(store: DedupStore, maxAgeMs = 1_000): JobView {
  const jobs = new Map<string, { at: number; job: Promise<JobInfo | undefined> }>();
  const fullAt = new Map<string, number>();
  const held = new Map<string, number>();
  const keyOf = (job: JobInfo) => `${job.jobId}#${job.epoch}`;
  const fresh = (at: number) => Date.now() - at < maxAgeMs;
  return {
    job(jobId) {
      const known = jobs.get(jobId);
      if (known && fresh(known.at)) return known.job;
      const job = readJob(store, jobId);
      jobs.set(jobId, { at: Date.now(), job });
      // A failed read is not cached: the next task of the job reads again.
      job.catch(() => jobs.delete(jobId));
      return job;
    },
    full(job) {
      const at = fullAt.get(keyOf(job));
      return at !== undefined && fresh(at);
    },
    markFull(job) {
      fullAt.set(keyOf(job), Date.now());
    },
    holdSeconds(job, baseSeconds) {
      const key = keyOf(job);
      const before = held.get(key) ?? 0;
      held.set(key, before + 1);
      const spread = Math.floor(before / (job.options.maxConcurrency ?? 1));
      return Math.min(300, baseSeconds + spread);
    },
  };
}
