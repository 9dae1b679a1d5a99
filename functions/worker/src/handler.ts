import { createLogger, readConfig, referenceTaskConfigSchema, workerConfigSchema } from "@fanout/core";
import { createStore } from "@fanout/dedup";
import { referenceTaskHandler } from "./task-handler.ts";
import { makeWorker } from "./wrapper.ts";

// Read once per container: a bad environment fails the cold start with every bad variable named.
const config = readConfig(workerConfigSchema);
const taskConfig = readConfig(referenceTaskConfigSchema);
const logger = createLogger("worker");
const store = createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS });

export const handler = makeWorker(referenceTaskHandler({ failRate: taskConfig.WORKER_FAIL_RATE }), {
  store,
  logger,
  leaseSeconds: config.RUN_LEASE_SECONDS,
  asyncRetries: {
    maximumRetryAttempts: config.MAX_RETRY_ATTEMPTS,
    maximumEventAgeSeconds: config.MAX_EVENT_AGE_SECONDS,
  },
});
