import { createLogger, type LambdaContext, mainConfigSchema, readConfig, requestCounts } from "@fanout/core";
import { createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient } from "@fanout/queue";
import { type SubmitResult, submitJob } from "./submit.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(mainConfigSchema);
const logger = createLogger("main");
const sqs = createSqsClient();
const store = createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS });
const nudge = config.CONSUMER_FUNCTION_NAME
  ? { lambda: createLambdaClient(), consumerFunctionName: config.CONSUMER_FUNCTION_NAME }
  : undefined;

export async function handler(event: unknown, context: LambdaContext): Promise<SubmitResult> {
  logger.addContext(context as never);
  try {
    return await submitJob(event, {
      sqs,
      store,
      tasksQueueUrl: config.TASKS_QUEUE_URL,
      logger,
      maxTasks: config.MAX_TASKS_PER_JOB,
      ...(nudge ? { nudge } : {}),
    });
  } catch (error) {
    // Every path logs its AWS requests, so the e2e IAM check sees the calls of refusals too.
    logger.error("job not accepted", { error: String(error), requests: requestCounts() });
    throw error;
  } finally {
    logger.resetKeys();
  }
}
