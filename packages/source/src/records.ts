import type { SourceLayout } from "@fanout/core";

/** One task's text as it appears in the source. */
export interface SourceText {
  /** The record's text (a line without its line break, or one array element). */
  text: string;
  /** Line number (JSON Lines) or element number (a JSON array), from 1: how errors name the record. */
  at: number;
  /** Byte offset just past the record (and its separator): where a later read resumes. */
  end: number;
  /** Set when the record is over `maxRecordBytes`: its text is empty and it must be refused. */
  tooLarge?: number;
}

/** The source is not a JSON array, or its array never ends: no record after this point can be trusted. */
export class SourceLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceLayoutError";
  }
}

export interface ReadRecordsOptions {
  /** Byte offset of the first byte of `body` in the object (a ranged read). @default 0 */
  offset?: number;
  /** The number of the record before the first one read (resuming). @default 0 */
  before?: number;
  /** A record over this many bytes is reported with `tooLarge` instead of being held in memory. */
  maxRecordBytes: number;
}

/** The bytes of the record being read: held up to the limit, past it only counted. */
class RecordBuffer {
  private parts: Buffer[] = [];
  private held = 0;
  private dropped = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }

  get size(): number {
    return this.held + this.dropped;
  }

  hold(part: Buffer): void {
    if (part.length === 0) return;
    if (this.dropped > 0 || this.held + part.length > this.limit) {
      this.dropped += this.held + part.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    this.parts.push(Buffer.from(part));
    this.held += part.length;
  }

  /** The record's text (empty when it was over the limit) and its size; the buffer starts over. */
  take(): { text: string; size: number } {
    const size = this.size;
    const text = this.dropped > 0 ? "" : Buffer.concat(this.parts, this.held).toString("utf8");
    this.parts = [];
    this.held = 0;
    this.dropped = 0;
    return { text, size };
  }
}

const newline = 0x0a;

/**
 * Splits a stream of bytes into records, never holding more than one record (up to `maxRecordBytes`) and
 * one chunk in memory. JSON Lines: one record per non-blank line (`\n` or `\r\n`). A JSON array: one
 * record per element; resuming at an offset that {@link SourceText.end} gave continues inside the array.
 */
export function readRecords(
  body: AsyncIterable<Uint8Array>,
  layout: SourceLayout,
  options: ReadRecordsOptions,
): AsyncGenerator<SourceText> {
  return layout === "lines" ? readLines(body, options) : readArray(body, options);
}

async function* readLines(body: AsyncIterable<Uint8Array>, options: ReadRecordsOptions) {
  let offset = options.offset ?? 0;
  let line = options.before ?? 0;
  const record = new RecordBuffer(options.maxRecordBytes);
  const take = (end: number): SourceText | undefined => {
    line += 1;
    const { text, size } = record.take();
    if (size > options.maxRecordBytes) return { text: "", at: line, end, tooLarge: size };
    const trimmed = text.replace(/\r$/, "");
    return trimmed.trim() === "" ? undefined : { text: trimmed, at: line, end };
  };
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let i = buffer.indexOf(newline, start); i !== -1; i = buffer.indexOf(newline, start)) {
      record.hold(buffer.subarray(start, i));
      const taken = take(offset + i + 1);
      if (taken) yield taken;
      start = i + 1;
    }
    record.hold(buffer.subarray(start));
    offset += buffer.length;
  }
  if (record.size > 0) {
    const taken = take(offset);
    if (taken) yield taken;
  }
}

const openBracket = 0x5b;
const closeBracket = 0x5d;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const comma = 0x2c;
const quote = 0x22;
const backslash = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

async function* readArray(body: AsyncIterable<Uint8Array>, options: ReadRecordsOptions) {
  let offset = options.offset ?? 0;
  let element = options.before ?? 0;
  // "start": before the opening bracket; "between": inside the array, before an element; "in": inside one.
  let state: "start" | "between" | "in" | "done" = offset === 0 && element === 0 ? "start" : "between";
  let depth = 0;
  let inString = false;
  let escaped = false;
  const record = new RecordBuffer(options.maxRecordBytes);
  const hold = (part: Buffer) => record.hold(part);
  let sawElement = false;
  const finish = (end: number): SourceText => {
    element += 1;
    sawElement = true;
    const taken = record.take();
    const size = taken.size;
    const text = taken.text.trim();
    return size > options.maxRecordBytes
      ? { text: "", at: element, end, tooLarge: size }
      : { text, at: element, end };
  };
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    for (let i = 0; i < buffer.length; i++) {
      const b = buffer[i] as number;
      if (state === "in") {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === backslash) escaped = true;
          else if (b === quote) inString = false;
          continue;
        }
        if (b === quote) inString = true;
        else if (b === openBracket || b === openBrace) depth++;
        else if (b === closeBracket || b === closeBrace) {
          if (depth > 0) depth--;
          else {
            hold(buffer.subarray(from, i));
            yield finish(offset + i + 1);
            state = "done";
          }
        } else if (b === comma && depth === 0) {
          hold(buffer.subarray(from, i));
          yield finish(offset + i + 1);
          state = "between";
        }
        continue;
      }
      if (isSpace(b)) continue;
      if (state === "start") {
        if (b !== openBracket) throw new SourceLayoutError("a .json source must be one JSON array of tasks");
        state = "between";
      } else if (state === "between") {
        if (b === closeBracket && !sawElement) state = "done";
        else {
          state = "in";
          from = i;
          i--; // read this byte again as the element's first
        }
      } else {
        throw new SourceLayoutError(
          `unexpected bytes after the end of the JSON array (at byte ${offset + i})`,
        );
      }
    }
    if (state === "in") hold(buffer.subarray(from));
    offset += buffer.length;
  }
  if ((state as string) !== "done") throw new SourceLayoutError("the JSON array does not end (no closing ])");
}
