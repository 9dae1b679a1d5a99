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
import { invokeAsync } from "@fanout/invoker";
import type { SQSClient } from "@fanout/queue";
import { packBatches, sendMessages } from "@fanout/queue";
import { EnqueueError } from "./errors.ts";

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
}

export interface SubmitResult {
  jobId: string;
  tasks: number;
  /** False when this jobId was already recorded with the same content (a safe resubmission). */
  created: boolean;
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
  const { created, epoch } = await recordJob(deps.store, {
    jobId: job.jobId,
    contentHash: job.contentHash,
    total: taskCountOf(job),
    options: job.options,
  });
  const messages = encodeAll(job, epoch);
  const { sent, failed } = await sendMessages(deps.sqs, deps.tasksQueueUrl, messages);
  deps.metrics?.count("TasksEnqueued", sent);
  if (failed.length > 0) {
    deps.logger.error("enqueue failed", { failed: failed.length, sent, first: failed[0] });
    const cause = failed.find((f) => f.error !== undefined)?.error;
    throw new EnqueueError(
      job.jobId,
      failed.length,
      messages.length,
      `${failed[0]?.code}: ${failed[0]?.message}`,
      cause === undefined ? undefined : { cause },
    );
  }
  if (deps.nudge) {
    // Best effort: the schedule still runs the consumer if this fails.
    await invokeAsync(deps.nudge.lambda, deps.nudge.consumerFunctionName, "{}").catch((error: unknown) =>
      deps.logger.warn("consumer nudge failed; the schedule will pick the tasks up", {
        error: String(error),
      }),
    );
  }
  deps.logger.info("job enqueued", { tasks: sent, created, requests: requestCounts() });
  return { jobId: job.jobId, tasks: sent, created };
}
