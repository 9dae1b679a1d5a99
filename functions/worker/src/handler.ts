import {
  createLogger,
  createMetrics,
  createTracer,
  readConfig,
  referenceTaskConfigSchema,
  taskIdOf,
  workerConfigSchema,
} from "@fanout/core";
import { createDynamoClient } from "@fanout/job-state";
import { referenceTaskHandler } from "./task-handler.ts";
import { workerDeps } from "./wiring.ts";
import { makeWorker } from "./wrapper.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(workerConfigSchema);
const taskConfig = readConfig(referenceTaskConfigSchema);
// A no-op unless X-Ray tracing is on (POWERTOOLS_TRACE_ENABLED, inside Lambda).
const tracer = await createTracer("worker");
export const handler = tracer.wrap(
  makeWorker(
    referenceTaskHandler({
      failRate: taskConfig.WORKER_FAIL_RATE,
      delayMs: taskConfig.WORKER_DELAY_MS,
      resultMaxBytes: config.RESULT_MAX_BYTES,
    }),
    workerDeps(
      config,
      { dynamo: tracer.captureClient(createDynamoClient()) },
      { logger: createLogger("worker"), metrics: createMetrics("worker") },
    ),
  ),
  (event) => {
    const task = event as { jobId?: unknown; index?: unknown };
    return typeof task?.jobId === "string" && typeof task.index === "number"
      ? { jobId: task.jobId, taskId: taskIdOf({ jobId: task.jobId, index: task.index }) }
      : {};
  },
);
