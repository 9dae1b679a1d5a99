import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeDeterministicZip } from "./zip.ts";

describe("writeDeterministicZip", () => {
  it("writes byte-identical zips for the same entries in any order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zip-"));
    const a = { name: "index.mjs", data: Buffer.from("export const handler = 1;") };
    const b = { name: "index.mjs.map", data: Buffer.from("{}") };
    await writeDeterministicZip(join(dir, "1.zip"), [a, b]);
    await new Promise((r) => setTimeout(r, 1100));
    await writeDeterministicZip(join(dir, "2.zip"), [b, a]);
    expect(readFileSync(join(dir, "1.zip")).equals(readFileSync(join(dir, "2.zip")))).toBe(true);
  });
});
