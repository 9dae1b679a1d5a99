import type { LocalLambda, LogRecord } from "@fanout/local-lambda";

/** Structured (JSON) log lines of each function, collected in memory from the service's log events. */
export interface LogCollector {
  lines(functionName: string): Record<string, unknown>[];
  stop(): void;
}

export function collectLogs(lambda: LocalLambda): LogCollector {
  const byFunction = new Map<string, Record<string, unknown>[]>();
  const listener = (record: LogRecord) => {
    if (!record.message.startsWith("{")) return; // START/END/REPORT and plain text lines
    try {
      const parsed = JSON.parse(record.message) as Record<string, unknown>;
      const list = byFunction.get(record.function) ?? [];
      list.push(parsed);
      byFunction.set(record.function, list);
    } catch {
      // a line that only looks like JSON
    }
  };
  lambda.events.on("log", listener);
  return {
    lines: (name) => byFunction.get(name) ?? [],
    stop: () => lambda.events.off("log", listener),
  };
}
