import type { JobInfo, JobNotice } from "@fanout/job-state";
import { announce, type NoticeDeps } from "@fanout/notices";
import { jobCache } from "./job-cache.ts";
import type { TaskHandler, WorkerDeps } from "./types.ts";

/** What every step of an invocation shares: the deps with their defaults filled in, per container. */
export interface WorkerRuntime<T> {
  taskHandler: TaskHandler<T>;
  deps: WorkerDeps<T>;
  reserveMs: number;
  graceMs: number;
  resultMaxBytes: number;
  exit: () => void;
  /** The job's record at most `jobCacheMs` old (a consistent read, reused by the container). */
  jobOf: (jobId: string, epoch: number) => Promise<JobInfo | undefined>;
  /** Publishes a `job.finished` notice that a step's write produced, if any. */
  publish: (notice: JobNotice | undefined) => Promise<void>;
}

export function workerRuntime<T>(taskHandler: TaskHandler<T>, deps: WorkerDeps<T>): WorkerRuntime<T> {
  const noticeDeps: NoticeDeps = { store: deps.store, logger: deps.logger, ...deps.notices };
  return {
    taskHandler,
    deps,
    reserveMs: deps.outcomeReserveMs ?? 5_000,
    graceMs: deps.abortGraceMs ?? 1_000,
    resultMaxBytes: deps.resultMaxBytes ?? 65_536,
    exit: deps.exit ?? (() => process.exit(1)),
    jobOf: jobCache(deps.store, deps.jobCacheMs ?? 5_000),
    publish: async (notice) => {
      if (notice) await announce(noticeDeps, notice);
    },
  };
}
