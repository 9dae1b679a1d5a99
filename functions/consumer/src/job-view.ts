import { type DedupStore, freeSlots, type JobInfo, readJob } from "@fanout/dedup";

/**
 * What one consumer run knows of the jobs whose tasks it meets: each job record read at most once per
 * `maxAgeMs` (one read per job, not per task), and for a job with `maxConcurrency` the number of slots
 * free, read as often and counted down by this run's own dispatches in between. Only a hint: the worker
 * reads the job record itself before it starts a task (cancel) and takes a slot with a conditional write
 * (cap), so a stale view costs a wasted dispatch, never a broken guarantee.
 */
export interface JobView {
  job(jobId: string): Promise<JobInfo | undefined>;
  /** Takes one of the job's free slots for a dispatch; false when none is left (hold the task back). */
  reserveSlot(job: JobInfo): Promise<boolean>;
  /**
   * Seconds to hold the next task of a full job back: `baseSeconds`, plus one per `maxConcurrency` tasks this
   * run already held (at most 300), so a long backlog behind a small cap waits in the queue spread out, in
   * order, instead of every task coming back every few seconds.
   */
  holdSeconds(job: JobInfo, baseSeconds: number): number;
}

export function jobView(store: DedupStore, maxAgeMs = 1_000): JobView {
  const jobs = new Map<string, { at: number; job: Promise<JobInfo | undefined> }>();
  const slots = new Map<string, { at: number; free: Promise<number> }>();
  const held = new Map<string, number>();
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
    async reserveSlot(job) {
      const maxConcurrency = job.options.maxConcurrency;
      if (maxConcurrency === undefined) return true;
      const key = `${job.jobId}#${job.epoch}`;
      let known = slots.get(key);
      if (!known || !fresh(known.at)) {
        const free = freeSlots(store, { jobId: job.jobId, epoch: job.epoch, maxConcurrency }).then(
          (f) => f.length,
        );
        known = { at: Date.now(), free };
        slots.set(key, known);
        free.catch(() => slots.delete(key));
      }
      const entry = known;
      const left = await entry.free;
      if (left <= 0) return false;
      entry.free = Promise.resolve(left - 1);
      return true;
    },
    holdSeconds(job, baseSeconds) {
      const key = `${job.jobId}#${job.epoch}`;
      const before = held.get(key) ?? 0;
      held.set(key, before + 1);
      const spread = Math.floor(before / (job.options.maxConcurrency ?? 1));
      return Math.min(300, baseSeconds + spread);
    },
  };
}
