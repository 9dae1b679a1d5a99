import type { JobInfo } from "@fanout/job-state";
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
}

export function workerRuntime<T>(taskHandler: TaskHandler<T>, deps: WorkerDeps<T>): WorkerRuntime<T> {
  return {
    taskHandler,
    deps,
    reserveMs: deps.outcomeReserveMs ?? 5_000,
    graceMs: deps.abortGraceMs ?? 1_000,
    resultMaxBytes: deps.resultMaxBytes ?? 65_536,
    exit: deps.exit ?? (() => process.exit(1)),
    jobOf: jobCache(deps.store, deps.jobCacheMs ?? 5_000),
  };
}
