import { Logger } from "@aws-lambda-powertools/logger";
import { loggerConfigSchema, readConfig } from "./config.ts";

export type { Logger };

/**
 * A structured JSON logger (Powertools). Lambda handlers append `jobId` and `taskId` per record so
 * that every line can be traced to its task. The level comes from LOG_LEVEL (or POWERTOOLS_LOG_LEVEL),
 * read through `loggerConfigSchema`: a bad value fails with a `ConfigError` naming it.
 */
export function createLogger(serviceName: string): Logger {
  const env = readConfig(loggerConfigSchema);
  return new Logger({ serviceName, logLevel: env.LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? "INFO" });
}
