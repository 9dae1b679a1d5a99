import { makePayloadTask, taskIdOf } from "@fanout/core";
import { type FinishResult, finishRun, startRun } from "@fanout/dedup";
import {
  cancelJob,
  createStore,
  InvalidCursorError,
  JobNotFoundError,
  type JobStatus,
  listJobs,
  readJob,
  readJobStatus,
} from "@fanout/job-state";

const store = createStore({ tableName: "fanout-dedup", ttlSeconds: 1_296_000 });

// A worker's run of task 0, as makeWorker does it (less the cancel check, the schema and the slot).
const job = await readJob(store, "job-1"); // consistent: an acknowledged cancel is seen
if (job && job.cancelledAt === undefined) {
  const task = makePayloadTask(job.jobId, 0, { n: 0 }, job.epoch);
  const run = {
    taskId: taskIdOf(task),
    jobId: task.jobId,
    index: task.index,
    epoch: task.epoch,
    owner: "request-id/1a2b3c4d", // unique per attempt
    eventId: "request-id",
  };
  const start = await startRun(store, run, 90);
  if (start.outcome === "started") {
    const result = JSON.stringify({ received: task.payload }); // its size is checked by the caller
    // The job's counts, completion and notice follow from this write on the table's stream (the consumer).
    const finished: FinishResult = await finishRun(store, run, { status: "SUCCEEDED", result });
    if (!finished.recorded) console.warn("the run's lease was lost before its outcome was written");
  }
}

// What `fanout status`, `fanout cancel` and `fanout jobs` do, with their errors told apart.
async function statusOf(jobId: string): Promise<JobStatus | undefined> {
  try {
    return await readJobStatus(store, jobId);
  } catch (error) {
    if (error instanceof JobNotFoundError) return undefined; // error.jobId names it
    throw error;
  }
}
const status = await statusOf("job-1"); // { state: "running", succeeded, failed, cancelled, running, ... }
const cancel = await cancelJob(store, "job-1"); // outcome: cancelled | already-cancelled | finished | not-found

async function page(after?: string) {
  try {
    return await listJobs(store, { limit: 20, ...(after === undefined ? {} : { after }) });
  } catch (error) {
    if (error instanceof InvalidCursorError) return undefined; // not a cursor a listing printed
    throw error;
  }
}
const first = await page(); // { jobs: [{ jobId, state, total, createdAt, ... }], next? }
const second = first?.next === undefined ? undefined : await page(first.next);

export { cancel, second, status };
