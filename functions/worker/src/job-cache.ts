import { type DedupStore, type JobInfo, readJob } from "@fanout/job-state";

/**
 * The worker's reads of job records: one strongly consistent read per job per container every `maxAgeMs`
 * instead of one per task (ADR 0015, decision 4). A cancel is therefore seen by every worker within `maxAgeMs`
 * of its write: a task whose event was dispatched later than that never starts (G8). A record of another
 * incarnation than the event's, or none, is read again each time (a reused jobId must not hide a cancel).
 * `Date`, not `performance`: the fault explorer's virtual clock fakes it.
 */
export function jobCache(
  store: DedupStore,
  maxAgeMs: number,
  maxJobs = 256,
): (jobId: string, epoch: number) => Promise<JobInfo | undefined> {
  const entries = new Map<string, { readAt: number; job: JobInfo | undefined }>();
  return async (jobId, epoch) => {
    // The time before the read: the record may be as old as that, never older.
    const readAt = Date.now();
    const hit = entries.get(jobId);
    if (hit && readAt - hit.readAt < maxAgeMs && hit.job?.epoch === epoch) return hit.job;
    const job = await readJob(store, jobId);
    entries.delete(jobId);
    entries.set(jobId, { readAt, job });
    // Oldest first: a container that meets many jobs keeps the latest few.
    if (entries.size > maxJobs) entries.delete(entries.keys().next().value as string);
    return job;
  };
}
