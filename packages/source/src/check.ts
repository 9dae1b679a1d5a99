import { createHash } from "node:crypto";
import { checkSourceRecord, detectFormat, jobLimits, type SourceLayout, type TaskFormat } from "@fanout/core";
import { readRecords, SourceLayoutError } from "./records.ts";

/** What one read of a whole source found: what `main` validates, and what `fanout submit` checks first. */
export interface SourceCheck {
  tasks: number;
  /** As given, or decided by the first record that is JSON (`"tasks"` when none is). */
  format: TaskFormat;
  sha256: string;
  bytes: number;
  /** Bad records in all, and the first `maxReported` of them (line or element number, reason). */
  bad: number;
  issues: { at: number; reason: string }[];
  /** The source is not the layout its key says (a `.json` that is not one array). */
  layoutError?: string;
  /** The source holds more than `jobLimits.maxSourceTasks` tasks (reading stopped there). */
  tooMany?: boolean;
}

export interface CheckSourceOptions {
  /** @default jobLimits.maxReportedIssues (100) */
  maxReported?: number;
  /** Called every 10,000 records with the records and bytes read so far. */
  onProgress?: (tasks: number, bytes: number) => void;
}

/**
 * Reads a whole source once, streaming: every record parsed and checked as a task of its format (the first
 * JSON record decides when no format is given), counted, and the bytes hashed. Never holds more than one
 * record and one chunk.
 */
export async function checkSource(
  body: AsyncIterable<Uint8Array>,
  layout: SourceLayout,
  format: TaskFormat | undefined,
  options: CheckSourceOptions = {},
): Promise<SourceCheck> {
  const maxReported = options.maxReported ?? jobLimits.maxReportedIssues;
  const hash = createHash("sha256");
  let bytes = 0;
  async function* hashed() {
    for await (const chunk of body) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  const result: Omit<SourceCheck, "sha256" | "bytes" | "format"> = { tasks: 0, bad: 0, issues: [] };
  let decided = format;
  const report = (at: number, reason: string) => {
    result.bad += 1;
    if (result.issues.length < maxReported) result.issues.push({ at, reason });
  };
  try {
    for await (const record of readRecords(hashed(), layout, {
      maxRecordBytes: jobLimits.maxSourceRecordBytes,
    })) {
      result.tasks += 1;
      if (result.tasks > jobLimits.maxSourceTasks) {
        result.tooMany = true;
        break;
      }
      if (result.tasks % 10_000 === 0) options.onProgress?.(result.tasks, bytes);
      if (record.tooLarge !== undefined) {
        report(
          record.at,
          `record is ${record.tooLarge} bytes, over the ${jobLimits.maxSourceRecordBytes}-byte limit`,
        );
        continue;
      }
      decided ??= formatOf(record.text);
      const checked = checkSourceRecord(record.text, decided);
      if (!checked.ok) report(record.at, checked.reason);
    }
  } catch (error) {
    if (!(error instanceof SourceLayoutError)) throw error;
    result.layoutError = error.message;
  }
  return { ...result, format: decided ?? "tasks", sha256: hash.digest("hex"), bytes };
}

function formatOf(text: string): TaskFormat | undefined {
  try {
    return detectFormat(JSON.parse(text));
  } catch {
    return undefined; // not JSON: the check reports it, and the next record decides
  }
}
