import { consumerConfigSchema, createLogger, readConfig } from "@fanout/core";
import { createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient } from "@fanout/queue";
import { consumerHandler } from "./consumer-handler.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(consumerConfigSchema);
const sockets = config.DISPATCH_CONCURRENCY + config.POLLERS * 2;

export const handler = consumerHandler({
  sqs: createSqsClient({ maxSockets: sockets }),
  lambda: createLambdaClient({ maxSockets: sockets }),
  store: createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS }),
  logger: createLogger("consumer"),
  tasksQueueUrl: config.TASKS_QUEUE_URL,
  workerFunctionName: config.WORKER_FUNCTION_NAME,
  leaseSeconds: config.CLAIM_LEASE_SECONDS,
  pollers: config.POLLERS,
  dispatchConcurrency: config.DISPATCH_CONCURRENCY,
  safetyMarginMs: config.SAFETY_MARGIN_MS,
  receiveWaitSeconds: config.RECEIVE_WAIT_SECONDS,
});
