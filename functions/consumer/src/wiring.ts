import type { ConsumerConfig, FunctionMetrics, Logger } from "@fanout/core";
import type { createLambdaClient } from "@fanout/invoker";
import { type createDynamoClient, createStore } from "@fanout/job-state";
import type { createSnsClient } from "@fanout/notices";
import type { createSqsClient } from "@fanout/queue";
import type { ConsumerHandlerDeps } from "./consumer-handler.ts";

/**
 * The consumer's dependencies from its environment, as its Lambda entry module wires them; the fault
 * explorer calls this too, so it runs the consumer with the settings it ships with.
 */
export function consumerDeps(
  config: ConsumerConfig,
  clients: {
    sqs: ReturnType<typeof createSqsClient>;
    lambda: ReturnType<typeof createLambdaClient>;
    dynamo: ReturnType<typeof createDynamoClient>;
    sns: () => ReturnType<typeof createSnsClient>;
  },
  extras: { logger: Logger; metrics?: FunctionMetrics<"consumer"> },
): ConsumerHandlerDeps {
  return {
    sqs: clients.sqs,
    lambda: clients.lambda,
    store: createStore({
      tableName: config.TABLE_NAME,
      ttlSeconds: config.DEDUP_TTL_SECONDS,
      client: clients.dynamo,
    }),
    logger: extras.logger,
    ...(extras.metrics ? { metrics: extras.metrics } : {}),
    tasksQueueUrl: config.TASKS_QUEUE_URL,
    workerFunctionName: config.WORKER_FUNCTION_NAME,
    leaseSeconds: config.CLAIM_LEASE_SECONDS,
    pollers: config.POLLERS,
    dispatchConcurrency: config.DISPATCH_CONCURRENCY,
    safetyMarginMs: config.SAFETY_MARGIN_MS,
    receiveWaitSeconds: config.RECEIVE_WAIT_SECONDS,
    // Inside Lambda (which sets AWS_LAMBDA_FUNCTION_NAME) runs take run slots and scale out.
    ...(config.AWS_LAMBDA_FUNCTION_NAME
      ? {
          scaleOut: {
            maxParallel: config.CONSUMER_MAX_PARALLEL,
            backlogPerRun: config.SCALE_OUT_BACKLOG,
            selfFunctionName: config.AWS_LAMBDA_FUNCTION_NAME,
            lambda: clients.lambda,
          },
        }
      : {}),
    ...(config.JOBS_TOPIC_ARN ? { notices: { sns: clients.sns(), topicArn: config.JOBS_TOPIC_ARN } } : {}),
  };
}
