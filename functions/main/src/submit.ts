import { encodeTask, type Job, parseJob, resetRequestCounts, taskCountOf, taskOf, usage } from "@fanout/core";
import { recordJob } from "@fanout/job-state";
import { packBatches, sendMessages } from "@fanout/queue";
import type { SubmitDeps, SubmitResult } from "./deps.ts";
import { throwIfUnsent } from "./errors.ts";
import { nudgeConsumer } from "./nudge.ts";

function encodeAll(job: Job, epoch: number) {
  return Array.from({ length: taskCountOf(job) }, (_, index) => ({
    id: String(index),
    body: encodeTask(taskOf(job, index, epoch)),
  }));
}

/**
 * The main job: validate everything first (an invalid job enqueues nothing), record the job with its
 * options (refusing a reused jobId with other content), enqueue one task per entry, then nudge the consumer.
 */
export async function submitJob(event: unknown, deps: SubmitDeps): Promise<SubmitResult> {
  resetRequestCounts();
  const job: Job = parseJob(event, { maxTasks: deps.maxTasks });
  // Size checks for every message before anything is written (with the widest epoch a message can carry).
  packBatches(encodeAll(job, Number.MAX_SAFE_INTEGER));
  deps.logger.appendKeys({ jobId: job.jobId });
  const { created, epoch, finished } = await recordJob(deps.store, {
    jobId: job.jobId,
    contentHash: job.contentHash,
    total: taskCountOf(job),
    options: job.options,
  });
  // A finished job has nothing left to enqueue: sending its tasks again would only meet their records (or,
  // where DynamoDB's TTL already removed a task's record, run it again).
  if (finished) {
    deps.logger.info("job already finished; nothing enqueued", usage());
    return { jobId: job.jobId, tasks: 0, created: false, finished: true };
  }
  const messages = encodeAll(job, epoch);
  const { sent, failed } = await sendMessages(deps.sqs, deps.tasksQueueUrl, messages);
  deps.metrics?.count("TasksEnqueued", sent);
  if (failed.length > 0)
    deps.logger.error("enqueue failed", { failed: failed.length, sent, first: failed[0] });
  throwIfUnsent(job.jobId, failed, messages.length);
  await nudgeConsumer(deps);
  deps.logger.info("job enqueued", { tasks: sent, created, ...usage() });
  return { jobId: job.jobId, tasks: sent, created };
}
