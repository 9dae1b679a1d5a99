import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { unpackZip } from "./unzip.ts";

let dir: string;
let target: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "unzip-test-"));
  target = join(dir, "task");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a real zip holding `files` (name to text), names exactly as given. */
function zipOf(files: Record<string, string>): string {
  const path = join(dir, "function.zip");
  writeFileSync(path, zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [n, strToU8(t)]))));
  return path;
}

describe("unpackZip", () => {
  it("unpacks every entry below the target folder", () => {
    const names = unpackZip(zipOf({ "index.mjs": "export {}", "lib/a.js": "a" }), target);
    expect(names).toEqual(["index.mjs", "lib/a.js"]);
    expect(readFileSync(join(target, "lib/a.js"), "utf8")).toBe("a");
  });

  it("refuses an entry that lands in a sibling folder named like the target, writing nothing outside it", () => {
    const evil = `../${basename(target)}-evil/a.js`;
    const zip = zipOf({ "index.mjs": "export {}", [evil]: "pwned" });
    expect(() => unpackZip(zip, target)).toThrow(/escapes the target folder/);
    expect(existsSync(join(dir, `${basename(target)}-evil`))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["function.zip"]);
  });

  it("refuses an entry that climbs out of the target folder", () => {
    expect(() => unpackZip(zipOf({ "../a.js": "pwned" }), target)).toThrow(/escapes the target folder/);
    expect(existsSync(join(dir, "a.js"))).toBe(false);
  });
});
