import { consumerConfigSchema, createLogger, type LambdaContext, readConfig } from "@fanout/core";
import { createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient } from "@fanout/queue";
import { drain } from "./drain.ts";
import type { DrainSummary } from "./summary.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(consumerConfigSchema);
const logger = createLogger("consumer");
const sockets = config.DISPATCH_CONCURRENCY + config.POLLERS * 2;
const sqs = createSqsClient({ maxSockets: sockets });
const lambda = createLambdaClient({ maxSockets: sockets });
const store = createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS });

/** Runs on the schedule, on a nudge from `main`, or by hand; the event is ignored. */
export async function handler(_event: unknown, context: LambdaContext): Promise<DrainSummary> {
  logger.addContext(context as never);
  const summary = await drain(
    {
      sqs,
      lambda,
      store,
      logger,
      tasksQueueUrl: config.TASKS_QUEUE_URL,
      workerFunctionName: config.WORKER_FUNCTION_NAME,
      leaseSeconds: config.CLAIM_LEASE_SECONDS,
      owner: context.awsRequestId,
      pollers: config.POLLERS,
      dispatchConcurrency: config.DISPATCH_CONCURRENCY,
      safetyMarginMs: config.SAFETY_MARGIN_MS,
      receiveWaitSeconds: config.RECEIVE_WAIT_SECONDS,
    },
    context,
  );
  logger.info("consumer run finished", { ...summary });
  return summary;
}
