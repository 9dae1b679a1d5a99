import { createLogger, createMetrics, createTracer, mainConfigSchema, readConfig } from "@fanout/core";
import { createLambdaClient } from "@fanout/invoker";
import { createDynamoClient } from "@fanout/job-state";
import { createSqsClient } from "@fanout/queue";
import { createS3Client } from "@fanout/source";
import { mainHandler } from "./main-handler.ts";
import { mainDeps } from "./wiring.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(mainConfigSchema);
// A no-op unless X-Ray tracing is on (POWERTOOLS_TRACE_ENABLED, inside Lambda).
const tracer = await createTracer("main");

export const handler = tracer.wrap(
  mainHandler(
    mainDeps(
      config,
      {
        sqs: tracer.captureClient(createSqsClient()),
        dynamo: tracer.captureClient(createDynamoClient()),
        lambda: () => tracer.captureClient(createLambdaClient()),
        s3: () => tracer.captureClient(createS3Client()),
      },
      { logger: createLogger("main"), metrics: createMetrics("main") },
    ),
  ),
  (_event, result) => ({ jobId: result?.jobId }),
);
