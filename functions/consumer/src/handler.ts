import { consumerConfigSchema, createLogger, createMetrics, createTracer, readConfig } from "@fanout/core";
import { createLambdaClient } from "@fanout/invoker";
import { createDynamoClient } from "@fanout/job-state";
import { createSnsClient } from "@fanout/notices";
import { createSqsClient } from "@fanout/queue";
import { consumerHandler } from "./consumer-handler.ts";
import { consumerDeps } from "./wiring.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(consumerConfigSchema);
const sockets = config.DISPATCH_CONCURRENCY + config.POLLERS * 2;
// A no-op unless X-Ray tracing is on (POWERTOOLS_TRACE_ENABLED, inside Lambda).
const tracer = await createTracer("consumer");

export const handler = tracer.wrap(
  consumerHandler(
    consumerDeps(
      config,
      {
        sqs: tracer.captureClient(createSqsClient({ maxSockets: sockets })),
        lambda: tracer.captureClient(createLambdaClient({ maxSockets: sockets })),
        dynamo: tracer.captureClient(createDynamoClient()),
        sns: () => tracer.captureClient(createSnsClient()),
      },
      { logger: createLogger("consumer"), metrics: createMetrics("consumer") },
    ),
  ),
);
