import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { toIssues } from "./issues.ts";

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);
const name = z.string().min(1, "is empty");
const url = z.url("must be a URL");

export const mainConfigSchema = z.object({
  TASKS_QUEUE_URL: url,
  TABLE_NAME: name,
  CONSUMER_FUNCTION_NAME: name.optional(),
  DEDUP_TTL_SECONDS: int(60, 1_296_000),
  MAX_TASKS_PER_JOB: int(1, 10_000),
});

export const consumerConfigSchema = z.object({
  TASKS_QUEUE_URL: url,
  TABLE_NAME: name,
  WORKER_FUNCTION_NAME: name,
  DEDUP_TTL_SECONDS: int(60, 1_296_000),
  CLAIM_LEASE_SECONDS: int(5, 60),
  POLLERS: int(1, 4),
  DISPATCH_CONCURRENCY: int(1, 32),
  SAFETY_MARGIN_MS: int(100, 5_000),
  RECEIVE_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(2),
});

export const workerConfigSchema = z.object({
  TABLE_NAME: name,
  DEDUP_TTL_SECONDS: int(60, 1_296_000),
  /** How long a RUNNING lease lasts; the function timeout plus a margin by default. */
  RUN_LEASE_SECONDS: int(1, 960),
});

export type MainConfig = z.output<typeof mainConfigSchema>;
export type ConsumerConfig = z.output<typeof consumerConfigSchema>;
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/**
 * Reads a function's configuration from environment variables once, at cold start. Fails with a
 * {@link ConfigError} that names every missing or invalid variable.
 *
 * @example
 * const config = readConfig(consumerConfigSchema); // throws "invalid configuration: TABLE_NAME: is missing"
 */
export function readConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      toIssues(parsed.error).map((i) => ({
        path: i.path,
        reason: i.reason.includes("received undefined") ? "is missing" : i.reason,
      })),
    );
  }
  return parsed.data;
}
