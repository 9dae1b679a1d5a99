import type { FunctionMetrics, Logger, WorkerConfig } from "@fanout/core";
import { type createDynamoClient, createStore } from "@fanout/job-state";
import type { WorkerDeps } from "./types.ts";

/**
 * The worker's dependencies from its environment, as its Lambda entry module wires them; the fault explorer
 * calls this too, so it runs the worker with the settings it ships with (retries, event age, leases).
 */
export function workerDeps(
  config: WorkerConfig,
  clients: { dynamo: ReturnType<typeof createDynamoClient> },
  extras: { logger: Logger; metrics?: FunctionMetrics<"worker"> },
): WorkerDeps {
  return {
    store: createStore({
      tableName: config.TABLE_NAME,
      ttlSeconds: config.DEDUP_TTL_SECONDS,
      client: clients.dynamo,
    }),
    logger: extras.logger,
    leaseSeconds: config.RUN_LEASE_SECONDS,
    asyncRetries: {
      maximumRetryAttempts: config.MAX_RETRY_ATTEMPTS,
      maximumEventAgeSeconds: config.MAX_EVENT_AGE_SECONDS,
    },
    resultMaxBytes: config.RESULT_MAX_BYTES,
    ...(extras.metrics ? { metrics: extras.metrics } : {}),
  };
}
