import { setTimeout as sleep } from "node:timers/promises";
import { createLogger, readConfig, workerConfigSchema } from "@fanout/core";
import { createStore } from "@fanout/dedup";
import { makeWorker, type TaskContext, type TaskHandler } from "@fanout/worker";

// Stands in for real work; it stops when the task's deadline passes.
async function resize(name: string, signal: AbortSignal): Promise<void> {
  await sleep(10, undefined, { signal });
  if (name.length === 0) throw new Error("nothing to resize");
}

const resizeImage: TaskHandler = async (task, { logger, lambda, attempt, signal }: TaskContext) => {
  logger.info("resizing", { name: task.name, attempt, msLeft: lambda.getRemainingTimeInMillis() });
  await resize(task.name, signal); // throw to fail the task: it is recorded FAILED and Lambda retries it
};

// src/handler.ts with another handler; the wrapper and its guarantees stay as they are.
const config = readConfig(workerConfigSchema);
export const handler = makeWorker(resizeImage, {
  store: createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS }),
  logger: createLogger("worker"),
  leaseSeconds: config.RUN_LEASE_SECONDS,
});
