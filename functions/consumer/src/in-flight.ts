import type { Logger } from "@fanout/core";
import { countDispatched, type DedupStore, type JobInfo } from "@fanout/job-state";

/**
 * Status's `running` (ADR 0015, decision 3): the tasks a consumer run dispatched, counted in their jobs'
 * counter shards at most once per `intervalMs` and once more at the run's end. A job's consecutive tasks
 * fall in different shards (ADR 0014), so a receive batch of 10 touches up to 10 shards: gathering a
 * second's dispatches first makes it about one write per shard per second, not one per task.
 */
export interface InFlightCounter {
  /** Notes dispatched tasks; starts a write of everything noted once `intervalMs` passed since the last. */
  add(dispatched: { job: JobInfo; index: number }[]): void;
  /** Writes what is noted and waits for every write started (never throws: a count is for status only). */
  flush(): Promise<void>;
}

export function inFlightCounter(store: DedupStore, logger: Logger, intervalMs = 1_000): InFlightCounter {
  let noted = new Map<string, { job: JobInfo; indexes: number[] }>();
  let lastWrite = Date.now();
  const writes: Promise<unknown>[] = [];
  const write = () => {
    const batch = noted;
    noted = new Map();
    lastWrite = Date.now();
    for (const { job, indexes } of batch.values())
      writes.push(
        countDispatched(store, job, indexes).catch((error: unknown) =>
          logger.warn("could not count dispatched tasks as running; status shows them when final", {
            jobId: job.jobId,
            error: String(error),
          }),
        ),
      );
  };
  return {
    add(dispatched) {
      for (const { job, index } of dispatched) {
        const key = `${job.jobId}#${job.epoch}`;
        const entry = noted.get(key) ?? { job, indexes: [] };
        entry.indexes.push(index);
        noted.set(key, entry);
      }
      if (Date.now() - lastWrite >= intervalMs) write();
    },
    async flush() {
      write();
      await Promise.all(writes);
    },
  };
}
