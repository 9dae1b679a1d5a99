import type { FunctionMetrics, Logger } from "@fanout/core";
import type { LambdaClient } from "@fanout/invoker";
import type { DedupStore } from "@fanout/job-state";
import type { SQSClient } from "@fanout/queue";
import type { S3Client } from "@fanout/source";

/**
 * What main's submission paths need and answer: types only, in a module of their own, so that submit,
 * source-submit and nudge depend on it rather than on each other.
 */

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

/** What main needs to read job sources and hand a long enqueue over to itself. */
export interface SourceDeps {
  s3: S3Client;
  /** INPUT_BUCKET: sources elsewhere are refused by name. */
  bucket: string;
  lambda: LambdaClient;
  /** This function's own name (AWS_LAMBDA_FUNCTION_NAME): the rest of a long enqueue is handed to it. */
  selfFunctionName?: string;
  /** A step stops reading and hands over when less than this much of its time is left. @default 15000 */
  handoverMarginMs?: number;
  /**
   * A step's enqueue lease lapses this long after the step last renewed it (it renews it as its chunks go
   * out), so Lambda's retry of a step that died (about 1 and 3 minutes after) finds it lapsed. @default 60000
   */
  enqueueLeaseMs?: number;
  /** Messages per chunk (the fault explorer uses a few, so that its small sources take several steps). @default 500 */
  chunkMessages?: number;
}
