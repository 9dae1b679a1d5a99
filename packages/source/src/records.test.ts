import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkSource } from "./check.ts";
import { readRecords, SourceLayoutError, type SourceText } from "./records.ts";

/** The text in chunks of `size` bytes, as a stream delivers it. */
async function* chunks(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all(text: string, layout: "lines" | "array", size = 3, extra = {}) {
  const out: SourceText[] = [];
  for await (const r of readRecords(chunks(text, size), layout, { maxRecordBytes: 64, ...extra }))
    out.push(r);
  return out;
}

describe("readRecords", () => {
  it("splits JSON Lines across chunk boundaries, skipping blank lines and CRs, with line numbers and end offsets", async () => {
    const text = '{"name":"a"}\r\n\n  \n"é"\n42';
    for (const size of [1, 2, 3, 7, 1000]) {
      const records = await all(text, "lines", size);
      expect(records.map((r) => [r.text, r.at])).toEqual([
        ['{"name":"a"}', 1],
        ['"é"', 4],
        ["42", 5],
      ]);
      expect(records.map((r) => r.end)).toEqual([
        14,
        Buffer.byteLength('{"name":"a"}\r\n\n  \n"é"\n'),
        Buffer.byteLength(text),
      ]);
    }
  });

  it("resumes JSON Lines at a record's end offset with the following line numbers", async () => {
    const text = "1\n2\n3\n4\n";
    const first = await all(text, "lines");
    const second = first[1] as SourceText;
    const rest = await all(text.slice(second.end), "lines", 3, { offset: second.end, before: second.at });
    expect(rest.map((r) => [r.text, r.at, r.end])).toEqual([
      ["3", 3, 6],
      ["4", 4, 8],
    ]);
  });

  it("reports an oversized line by number without holding it, and goes on with the next", async () => {
    const records = await all(`1\n${"x".repeat(200)}\n3\n`, "lines", 16);
    expect(records.map((r) => [r.text, r.at, r.tooLarge])).toEqual([
      ["1", 1, undefined],
      ["", 2, 200],
      ["3", 3, undefined],
    ]);
  });

  it("splits a JSON array into its elements, strings with brackets, commas and escaped quotes included", async () => {
    const text = ' [ {"a":[1,2]}, "x,]\\"y" ,3,\n[ ] ]  ';
    for (const size of [1, 2, 5, 1000]) {
      const records = await all(text, "array", size);
      expect(records.map((r) => r.text)).toEqual(['{"a":[1,2]}', '"x,]\\"y"', "3", "[ ]"]);
      expect(records.map((r) => JSON.parse(r.text))).toEqual([{ a: [1, 2] }, 'x,]"y', 3, []]);
      expect(records.map((r) => r.at)).toEqual([1, 2, 3, 4]);
    }
  });

  it("resumes a JSON array at an element's end offset", async () => {
    const text = '[1,{"b":2},3]';
    const first = await all(text, "array");
    const one = first[0] as SourceText;
    const rest = await all(text.slice(one.end), "array", 2, { offset: one.end, before: one.at });
    expect(rest.map((r) => [r.text, r.at])).toEqual([
      ['{"b":2}', 2],
      ["3", 3],
    ]);
  });

  it("refuses a .json source that is not an array, or whose array never ends", async () => {
    await expect(all('{"a":1}', "array")).rejects.toThrow(SourceLayoutError);
    await expect(all("[1,2", "array")).rejects.toThrow("does not end");
    await expect(all("[1] 2", "array")).rejects.toThrow("after the end");
    expect(await all(" [ ] ", "array")).toEqual([]);
  });
});

describe("checkSource", () => {
  it("counts, hashes and checks every record, deciding the format from the first JSON record", async () => {
    const text = 'not json\n{"name":"a"}\n{"name":""}\n{"name":"b"}\n';
    const checked = await checkSource(chunks(text, 4), "lines", undefined, { maxReported: 1 });
    expect(checked).toMatchObject({ tasks: 4, format: "names", bad: 2, bytes: Buffer.byteLength(text) });
    expect(checked.issues).toEqual([{ at: 1, reason: expect.stringMatching(/^not valid JSON/) }]);
    expect(checked.sha256).toBe(createHash("sha256").update(text).digest("hex"));
  });

  it("reports a .json source that is not one array as a layout error", async () => {
    expect((await checkSource(chunks('{"a":1}', 3), "array", "tasks")).layoutError).toBe(
      "a .json source must be one JSON array of tasks",
    );
  });
});
