import { Logger } from "@aws-lambda-powertools/logger";

type LogLevel = NonNullable<ConstructorParameters<typeof Logger>[0]>["logLevel"];

export type { Logger };

/**
 * A structured JSON logger (Powertools). Lambda handlers append `jobId` and `taskId` per record so
 * that every line can be traced to its task.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? "INFO") as LogLevel,
  });
}
