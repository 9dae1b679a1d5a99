import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One line of a local Lambda log file (`<logDir>/<function>.log`). */
export interface LogRecord {
  time: string;
  function: string;
  requestId?: string;
  message: string;
}

export function readLog(logDir: string, functionName: string): LogRecord[] {
  const file = join(logDir, `${functionName}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogRecord);
}

/** A structured (JSON) line's fields, or undefined for any other line. */
export function jsonOf(r: LogRecord): Record<string, unknown> | undefined {
  if (!r.message.startsWith("{")) return undefined;
  try {
    return JSON.parse(r.message) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The structured (JSON) lines a function logged. */
export function jsonLines(records: readonly LogRecord[]): Record<string, unknown>[] {
  return records.flatMap((r) => {
    const fields = jsonOf(r);
    return fields ? [fields] : [];
  });
}

/** A REPORT line's billed duration and "Max Memory Used", or undefined for any other line. */
export function reportOf(message: string): { billedMs: number; maxMemoryMb: number } | undefined {
  const m = /Billed Duration: (\d+) ms.*Max Memory Used: (\d+) MB/.exec(message);
  return m ? { billedMs: Number(m[1]), maxMemoryMb: Number(m[2]) } : undefined;
}

/** Billed durations (ms) from Lambda's REPORT lines, one per invocation. */
export function billedDurations(records: readonly LogRecord[]): number[] {
  return records.flatMap((r) => {
    const m = /^REPORT RequestId: .*Billed Duration: (\d+) ms/.exec(r.message);
    return m?.[1] ? [Number(m[1])] : [];
  });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

export const median = (values: readonly number[]) => percentile(values, 50);
export const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
