import { createLogger, mainConfigSchema, readConfig } from "@fanout/core";
import { createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient } from "@fanout/queue";
import { mainHandler } from "./main-handler.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(mainConfigSchema);

export const handler = mainHandler({
  sqs: createSqsClient(),
  store: createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS }),
  tasksQueueUrl: config.TASKS_QUEUE_URL,
  logger: createLogger("main"),
  maxTasks: config.MAX_TASKS_PER_JOB,
  ...(config.CONSUMER_FUNCTION_NAME
    ? { nudge: { lambda: createLambdaClient(), consumerFunctionName: config.CONSUMER_FUNCTION_NAME } }
    : {}),
});
