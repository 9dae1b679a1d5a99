import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { OutputSink } from "./types.ts";

/** Lambda's `X-Amz-Log-Result` carries the last 4 KB of the invocation's log. */
const TAIL_BYTES = 4096;

export interface LogRecord {
  time: string;
  function: string;
  requestId: string | undefined;
  message: string;
}

/**
 * Where function log lines go: the service's output (prefixed with function name and request id), one
 * JSON-lines file per function, and a per-request buffer from which the `Tail` log result is cut.
 */
export class LogRouter {
  private readonly logDir: string | null;
  private readonly output: OutputSink | null;
  private readonly files = new Map<string, WriteStream>();
  private readonly captures = new Map<string, { lines: string[]; bytes: number }>();
  private readonly listeners: Array<(record: LogRecord) => void> = [];
  private closed = false;

  constructor(options: { logDir: string | null; output: OutputSink | null }) {
    this.logDir = options.logDir;
    this.output = options.output;
    if (this.logDir !== null) mkdirSync(this.logDir, { recursive: true });
  }

  onRecord(listener: (record: LogRecord) => void): void {
    this.listeners.push(listener);
  }

  write(functionName: string, requestId: string | undefined, message: string): void {
    const record: LogRecord = { time: new Date().toISOString(), function: functionName, requestId, message };
    this.output?.write(`[${functionName}] [${requestId ?? "-"}] ${message}\n`);
    this.file(functionName)?.write(`${JSON.stringify(record)}\n`);
    if (requestId !== undefined) this.capture(requestId, message);
    for (const listener of this.listeners) listener(record);
  }

  /** Starts keeping a request's lines for its tail. */
  beginCapture(requestId: string): void {
    this.captures.set(requestId, { lines: [], bytes: 0 });
  }

  /** Ends the capture; returns the last 4 KB as base64, as `X-Amz-Log-Result` carries it. */
  endCapture(requestId: string): string {
    const capture = this.captures.get(requestId);
    this.captures.delete(requestId);
    const text = capture === undefined ? "" : `${capture.lines.join("\n")}\n`;
    const bytes = Buffer.from(text, "utf8");
    return bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)).toString("base64");
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = [...this.files.values()].map(
      (stream) => new Promise<void>((resolve) => stream.end(() => resolve())),
    );
    this.files.clear();
    await Promise.all(closing);
  }

  private capture(requestId: string, message: string): void {
    const capture = this.captures.get(requestId);
    if (capture === undefined) return;
    capture.lines.push(message);
    capture.bytes += Buffer.byteLength(message) + 1;
    while (capture.bytes - Buffer.byteLength(capture.lines[0] ?? "") - 1 > TAIL_BYTES) {
      const dropped = capture.lines.shift() ?? "";
      capture.bytes -= Buffer.byteLength(dropped) + 1;
    }
  }

  private file(functionName: string): WriteStream | undefined {
    if (this.logDir === null || this.closed) return undefined;
    let stream = this.files.get(functionName);
    if (stream === undefined) {
      stream = createWriteStream(join(this.logDir, `${functionName}.log`), { flags: "a" });
      this.files.set(functionName, stream);
    }
    return stream;
  }
}

/** Lambda's platform lines around each invocation. */
export const platformLines = {
  start: (requestId: string) => `START RequestId: ${requestId} Version: $LATEST`,
  end: (requestId: string) => `END RequestId: ${requestId}`,
  report(
    requestId: string,
    r: {
      durationMs: number;
      memoryMb: number;
      maxMemoryUsedMb: number | undefined;
      initDurationMs: number | undefined;
      status?: "timeout" | "error" | undefined;
      errorType?: string | undefined;
    },
  ): string {
    const parts = [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${r.durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.max(1, Math.ceil(r.durationMs + (r.initDurationMs ?? 0)))} ms`,
      `Memory Size: ${r.memoryMb} MB`,
      `Max Memory Used: ${r.maxMemoryUsedMb ?? r.memoryMb} MB`,
    ];
    if (r.initDurationMs !== undefined) parts.push(`Init Duration: ${r.initDurationMs.toFixed(2)} ms`);
    if (r.status !== undefined) parts.push(`Status: ${r.status}`);
    if (r.status === "error" && r.errorType !== undefined) parts.push(`Error Type: ${r.errorType}`);
    return parts.join("\t");
  },
};
