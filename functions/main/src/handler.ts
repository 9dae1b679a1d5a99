import { createLogger, createMetrics, createTracer, mainConfigSchema, readConfig } from "@fanout/core";
import { createDynamoClient, createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient } from "@fanout/queue";
import { createS3Client } from "@fanout/source";
import { mainHandler } from "./main-handler.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(mainConfigSchema);
// A no-op unless X-Ray tracing is on (POWERTOOLS_TRACE_ENABLED, inside Lambda).
const tracer = await createTracer("main");

export const handler = tracer.wrap(
  mainHandler({
    sqs: tracer.captureClient(createSqsClient()),
    store: createStore({
      tableName: config.TABLE_NAME,
      ttlSeconds: config.DEDUP_TTL_SECONDS,
      client: tracer.captureClient(createDynamoClient()),
    }),
    tasksQueueUrl: config.TASKS_QUEUE_URL,
    logger: createLogger("main"),
    maxTasks: config.MAX_TASKS_PER_JOB,
    metrics: createMetrics("main"),
    ...(config.INPUT_BUCKET
      ? {
          source: {
            s3: tracer.captureClient(createS3Client()),
            bucket: config.INPUT_BUCKET,
            lambda: tracer.captureClient(createLambdaClient()),
            ...(config.AWS_LAMBDA_FUNCTION_NAME ? { selfFunctionName: config.AWS_LAMBDA_FUNCTION_NAME } : {}),
          },
        }
      : {}),
    ...(config.CONSUMER_FUNCTION_NAME
      ? {
          nudge: {
            lambda: tracer.captureClient(createLambdaClient()),
            consumerFunctionName: config.CONSUMER_FUNCTION_NAME,
          },
        }
      : {}),
  }),
  (_event, result) => ({ jobId: result?.jobId }),
);
