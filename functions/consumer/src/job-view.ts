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
  /** Marks the job full; `runMs` is the mean run time its slots' last holders reported, if known. */
  markFull(job: JobInfo, runMs?: number): void;
  /**
   * Seconds to hold the next task of a full job back: `baseSeconds`, plus one task run time (as the slots
   * report it, else 1 s) per `maxConcurrency` tasks this run already held, at most 300 s: a long backlog
   * behind a cap comes back spread out, in order, about as fast as slots free up, instead of every task
   * coming back every few seconds.
   */
  holdSeconds(job: JobInfo, baseSeconds: number): number;
}

export function jobView(store: DedupStore, maxAgeMs = 1_000): JobView {
  const jobs = new Map<string, { at: number; job: Promise<JobInfo | undefined> }>();
  const fullAt = new Map<string, number>();
  const runMsOf = new Map<string, number>();
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
    markFull(job, runMs) {
      fullAt.set(keyOf(job), Date.now());
      if (runMs !== undefined) runMsOf.set(keyOf(job), runMs);
    },
    holdSeconds(job, baseSeconds) {
      const key = keyOf(job);
      const before = held.get(key) ?? 0;
      held.set(key, before + 1);
      const runSeconds = (runMsOf.get(key) ?? 1_000) / 1_000;
      const spread = Math.floor((before / (job.options.maxConcurrency ?? 1)) * runSeconds);
      return Math.min(300, baseSeconds + spread);
    },
  };
}
