import { type DedupStore, type JobInfo, readJob, type SlotsSeen } from "@fanout/job-state";

/**
 * What one consumer run knows of the jobs whose tasks it meets: each job record read at most once per
 * `maxAgeMs` (one read per job, not per task), and which capped jobs had every slot held when this run
 * last tried (for `maxAgeMs`), so their tasks are held back without a read. Only a hint: the worker reads
 * the job record itself before it starts a task (cancel), and slots are taken with conditional writes (cap),
 * so a stale view costs a wasted dispatch or a short wait, never a broken guarantee.
 */
export interface JobView {
  job(jobId: string): Promise<JobInfo | undefined>;
  /**
   * True when this run found every slot of the job held a moment ago: less than half a task's run time (as
   * the slots report it) ago, between 50 ms and `maxAgeMs`, so a freed slot is found about as soon as it frees.
   */
  full(job: JobInfo): boolean;
  /** Marks the job full; `runMs` is the mean run time its slots' last holders reported, if known. */
  markFull(job: JobInfo, runMs?: number): void;
  /**
   * The slots of the job this run last saw free and has not tried since: read by `read` when this run has
   * none left, or when its read is `maxAgeMs` old. One read of the slots serves the dispatches of several
   * tasks (each take is a conditional write that re-checks its slot, and takes it out of the list).
   */
  freeSlots(job: JobInfo, read: () => Promise<SlotsSeen>): Promise<{ free: number[]; runMs?: number }>;
  /**
   * Runs `fn` for the job's tasks one at a time in this run: a run's dispatchers do not race each other for
   * the same freed slot (each loser pays a claim, a refused slot write and a release).
   */
  oneAtATime<T>(job: JobInfo, fn: () => Promise<T>): Promise<T>;
  /**
   * Seconds to hold the next task of a full job back: `baseSeconds`, plus one task run time (as the slots
   * report it, else 200 ms) per `maxConcurrency` tasks this run held in the last 10 s (the backlog ahead of
   * it), at most 60 s: a long backlog behind a cap comes back spread out, about as fast as slots free up,
   * instead of every task cycling through the queue every second.
   */
  holdSeconds(job: JobInfo, baseSeconds: number): number;
}

export function jobView(store: DedupStore, maxAgeMs = 1_000): JobView {
  const jobs = new Map<string, { at: number; job: Promise<JobInfo | undefined> }>();
  const fullAt = new Map<string, number>();
  const runMsOf = new Map<string, number>();
  const recentHolds = new Map<string, number[]>();
  const slotsSeen = new Map<string, { at: number; free: number[]; runMs?: number }>();
  const queues = new Map<string, Promise<unknown>>();
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
      const runMs = runMsOf.get(keyOf(job));
      const ttl = runMs === undefined ? maxAgeMs : Math.min(maxAgeMs, Math.max(50, runMs / 2));
      return at !== undefined && Date.now() - at < ttl;
    },
    markFull(job, runMs) {
      fullAt.set(keyOf(job), Date.now());
      if (runMs !== undefined) runMsOf.set(keyOf(job), runMs);
    },
    async freeSlots(job, read) {
      const key = keyOf(job);
      const seen = slotsSeen.get(key);
      if (seen && seen.free.length > 0 && fresh(seen.at)) return seen;
      const at = Date.now();
      const { free, runMs } = await read();
      const view = { at, free, ...(runMs === undefined ? {} : { runMs }) };
      slotsSeen.set(key, view);
      return view;
    },
    oneAtATime(job, fn) {
      const key = keyOf(job);
      const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
      queues.set(
        key,
        run.catch(() => undefined),
      );
      return run;
    },
    holdSeconds(job, baseSeconds) {
      const key = keyOf(job);
      const now = Date.now();
      const recent = recentHolds.get(key) ?? [];
      recentHolds.set(key, recent);
      // Oldest first: drop the holds older than 10 s from the front.
      let old = 0;
      while (old < recent.length && now - (recent[old] ?? now) >= 10_000) old++;
      recent.splice(0, old);
      recent.push(now);
      const runSeconds = (runMsOf.get(key) ?? 200) / 1_000;
      const spread = Math.floor((recent.length / (job.options.maxConcurrency ?? 1)) * runSeconds);
      return Math.min(60, baseSeconds + spread);
    },
  };
}
