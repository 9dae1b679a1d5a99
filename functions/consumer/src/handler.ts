import { consumerConfigSchema, createLogger, createMetrics, createTracer, readConfig } from "@fanout/core";
import { createDynamoClient, createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSnsClient } from "@fanout/notices";
import { createSqsClient } from "@fanout/queue";
import { consumerHandler } from "./consumer-handler.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(consumerConfigSchema);
const sockets = config.DISPATCH_CONCURRENCY + config.POLLERS * 2;
// A no-op unless X-Ray tracing is on (POWERTOOLS_TRACE_ENABLED, inside Lambda).
const tracer = await createTracer("consumer");

export const handler = tracer.wrap(
  consumerHandler({
    sqs: tracer.captureClient(createSqsClient({ maxSockets: sockets })),
    lambda: tracer.captureClient(createLambdaClient({ maxSockets: sockets })),
    store: createStore({
      tableName: config.TABLE_NAME,
      ttlSeconds: config.DEDUP_TTL_SECONDS,
      client: tracer.captureClient(createDynamoClient()),
    }),
    logger: createLogger("consumer"),
    metrics: createMetrics("consumer"),
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
            lambda: tracer.captureClient(createLambdaClient()),
          },
        }
      : {}),
    ...(config.JOBS_TOPIC_ARN
      ? { notices: { sns: tracer.captureClient(createSnsClient()), topicArn: config.JOBS_TOPIC_ARN } }
      : {}),
  }),
);
