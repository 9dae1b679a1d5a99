import {
  encodeTask,
  type FunctionMetrics,
  type Job,
  type Logger,
  parseJob,
  requestCounts,
  resetRequestCounts,
  taskCountOf,
  taskOf,
} from "@fanout/core";
import { type DedupStore, recordJob } from "@fanout/dedup";
import type { LambdaClient } from "@fanout/invoker";
import type { SQSClient } from "@fanout/queue";
import { packBatches, sendMessages } from "@fanout/queue";
import { throwIfUnsent } from "./errors.ts";
import { nudgeConsumer } from "./nudge.ts";
import type { SourceDeps } from "./source-submit.ts";

export interface SubmitDeps {
  sqs: SQSClient;
  store: DedupStore;
  tasksQueueUrl: string;
  logger: Logger;
  maxTasks: number;
  /** When set, the consumer is nudged after enqueueing, so work starts now, not at the next tick. */
  nudge?: { lambda: LambdaClient; consumerFunctionName: string };
  /** TasksEnqueued is counted here; the handler counts JobsSubmitted and flushes. */
  metrics?: FunctionMetrics<"main">;
  /** Set when main reads job sources from S3 (INPUT_BUCKET). */
  source?: SourceDeps;
}

export interface SubmitResult {
  jobId: string;
  tasks: number;
  /** False when this jobId was already recorded with the same content (a safe resubmission). */
  created: boolean;
  /** Source jobs: tasks in the queue when this invocation ended. */
  enqueued?: number;
  /** Source jobs: the rest was handed to a next invocation of main. */
  handedOver?: boolean;
  /** Source jobs: another invocation is enqueueing this job right now; this one sent nothing. */
  inProgress?: boolean;
  /** A resubmission of a job that has finished: nothing was enqueued. */
  finished?: boolean;
}

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
    deps.logger.info("job already finished; nothing enqueued", { requests: requestCounts() });
    return { jobId: job.jobId, tasks: 0, created: false, finished: true };
  }
  const messages = encodeAll(job, epoch);
  const { sent, failed } = await sendMessages(deps.sqs, deps.tasksQueueUrl, messages);
  deps.metrics?.count("TasksEnqueued", sent);
  if (failed.length > 0)
    deps.logger.error("enqueue failed", { failed: failed.length, sent, first: failed[0] });
  throwIfUnsent(job.jobId, failed, messages.length);
  await nudgeConsumer(deps);
  deps.logger.info("job enqueued", { tasks: sent, created, requests: requestCounts() });
  return { jobId: job.jobId, tasks: sent, created };
}
