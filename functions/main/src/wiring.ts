import type { FunctionMetrics, Logger, MainConfig } from "@fanout/core";
import type { createLambdaClient } from "@fanout/invoker";
import { type createDynamoClient, createStore } from "@fanout/job-state";
import type { createSqsClient } from "@fanout/queue";
import type { createS3Client } from "@fanout/source";
import type { SubmitDeps } from "./deps.ts";

/**
 * main's dependencies from its environment, as its Lambda entry module wires them; the fault explorer calls
 * this too, so it runs main with the settings it ships with.
 */
export function mainDeps(
  config: MainConfig,
  clients: {
    sqs: ReturnType<typeof createSqsClient>;
    dynamo: ReturnType<typeof createDynamoClient>;
    lambda: () => ReturnType<typeof createLambdaClient>;
    s3: () => ReturnType<typeof createS3Client>;
  },
  extras: { logger: Logger; metrics?: FunctionMetrics<"main"> },
): SubmitDeps {
  return {
    sqs: clients.sqs,
    store: createStore({
      tableName: config.TABLE_NAME,
      ttlSeconds: config.DEDUP_TTL_SECONDS,
      client: clients.dynamo,
    }),
    tasksQueueUrl: config.TASKS_QUEUE_URL,
    logger: extras.logger,
    maxTasks: config.MAX_TASKS_PER_JOB,
    ...(extras.metrics ? { metrics: extras.metrics } : {}),
    ...(config.INPUT_BUCKET
      ? {
          source: {
            s3: clients.s3(),
            bucket: config.INPUT_BUCKET,
            lambda: clients.lambda(),
            ...(config.AWS_LAMBDA_FUNCTION_NAME ? { selfFunctionName: config.AWS_LAMBDA_FUNCTION_NAME } : {}),
          },
        }
      : {}),
    ...(config.CONSUMER_FUNCTION_NAME
      ? { nudge: { lambda: clients.lambda(), consumerFunctionName: config.CONSUMER_FUNCTION_NAME } }
      : {}),
  };
}
