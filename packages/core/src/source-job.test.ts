import { describe, expect, it } from "vitest";
import { InvalidJobError } from "./errors.ts";
import {
  checkSourceRecord,
  detectFormat,
  isSourceJob,
  parseSourceJob,
  sourceContentHash,
  sourceTaskOf,
} from "./source-job.ts";

describe("source jobs", () => {
  it("reads the bucket, key and layout of a source job, with its options", () => {
    const job = parseSourceJob({
      jobId: "big-1",
      source: "s3://fanout-input/in/big.jsonl",
      maxConcurrency: 5,
    });
    expect(job).toEqual({
      jobId: "big-1",
      source: {
        url: "s3://fanout-input/in/big.jsonl",
        bucket: "fanout-input",
        key: "in/big.jsonl",
        layout: "lines",
      },
      options: { maxConcurrency: 5 },
    });
    expect(parseSourceJob({ source: "s3://b-1/tasks.json", format: "tasks" }).source.layout).toBe("array");
    expect(isSourceJob({ source: "x" })).toBe(true);
    expect(isSourceJob({ names: [] })).toBe(false);
  });

  it("refuses a source that is not an S3 URL, an unknown format and unknown keys, naming each", () => {
    const error = (() => {
      try {
        parseSourceJob({ source: "https://example.com/a.jsonl", format: "csv", names: [] });
      } catch (e) {
        return e as InvalidJobError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidJobError);
    const reasons = error?.issues.map((i) => `${i.path}: ${i.reason}`).join("\n");
    expect(reasons).toContain('source: source must be an S3 URL like "s3://bucket/tasks.jsonl"');
    expect(reasons).toContain('format: format must be "names" or "tasks"');
    expect(reasons).toContain("names");
  });

  it("takes a record of exactly {name: string} as the names format, anything else as tasks", () => {
    expect(detectFormat({ name: "Name1" })).toBe("names");
    expect(detectFormat({ name: "Name1", size: 3 })).toBe("tasks");
    expect(detectFormat({ name: 3 })).toBe("tasks");
    expect(detectFormat([1, 2])).toBe("tasks");
    expect(detectFormat("Name1")).toBe("tasks");
  });

  it("says why a record is refused: bad JSON, a bad names entry, an oversized task", () => {
    expect(checkSourceRecord('{"name": "a"', undefined)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not valid JSON/),
    });
    expect(checkSourceRecord('{"name": ""}', "names")).toEqual({
      ok: false,
      reason: "name: name must not be empty",
    });
    expect(checkSourceRecord("42", "names")).toMatchObject({ ok: false });
    expect(checkSourceRecord("42", "tasks")).toEqual({ ok: true, value: 42 });
    expect(checkSourceRecord(JSON.stringify("x".repeat(1_000_000)), "tasks")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("over the"),
    });
  });

  it("builds v1 messages for names and v2 messages for tasks", () => {
    expect(sourceTaskOf("j", 3, { name: "Name4" }, "names", 7)).toMatchObject({
      v: 1,
      index: 3,
      name: "Name4",
    });
    expect(sourceTaskOf("j", 3, { a: 1 }, "tasks", 7)).toMatchObject({ v: 2, index: 3, payload: { a: 1 } });
  });

  it("hashes the same bytes with other options or format as other content", () => {
    const a = sourceContentHash("abc", "tasks", {});
    expect(sourceContentHash("abc", "tasks", {})).toBe(a);
    expect(sourceContentHash("abc", "names", {})).not.toBe(a);
    expect(sourceContentHash("abc", "tasks", { maxConcurrency: 2 })).not.toBe(a);
  });
});
