import { setTimeout as sleep } from "node:timers/promises";
import { createLogger, readConfig, workerConfigSchema } from "@fanout/core";
import { createStore } from "@fanout/job-state";
import { makeWorker, type TaskContext, type TaskHandler, type WorkerTask } from "@fanout/worker";
import { z } from "zod";

// The job's tasks: {"tasks": [{"url": "https://...", "width": 320}, ...]}. Checked before the task runs.
const imageTask = z.strictObject({ url: z.url(), width: z.number().int().positive() });
type ImageTask = z.infer<typeof imageTask>;

// Stands in for real work; it stops when the task's deadline passes.
async function resize(image: ImageTask, signal: AbortSignal): Promise<string> {
  await sleep(10, undefined, { signal });
  return `thumbnails/${image.width}/${encodeURIComponent(image.url)}`;
}

const resizeImage: TaskHandler<ImageTask> = async (
  task: WorkerTask<ImageTask>,
  { logger, lambda, attempt, signal }: TaskContext,
) => {
  logger.info("resizing", { url: task.payload.url, attempt, msLeft: lambda.getRemainingTimeInMillis() });
  // Throw to fail the task: it is recorded FAILED and Lambda retries it. The return value is its result.
  return { key: await resize(task.payload, signal) };
};

// src/handler.ts with another handler; the wrapper and its guarantees stay as they are.
const config = readConfig(workerConfigSchema);
export const handler = makeWorker(resizeImage, {
  schema: imageTask,
  store: createStore({ tableName: config.TABLE_NAME, ttlSeconds: config.DEDUP_TTL_SECONDS }),
  logger: createLogger("worker"),
  leaseSeconds: config.RUN_LEASE_SECONDS,
  resultMaxBytes: config.RESULT_MAX_BYTES,
});
