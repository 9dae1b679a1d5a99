import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRelease, releasesDir } from "./releases.ts";

describe("released builds", () => {
  it("every release folder holds a record whose three zips match it in size and sha256", () => {
    const versions = readdirSync(releasesDir).filter((name) => /^v\d+\.\d+\.\d+$/.test(name));
    expect(versions).toContain("v0.1.0");
    for (const folder of versions) {
      const release = readRelease(folder.slice(1));
      expect(Object.keys(release.zipPaths).sort()).toEqual(["consumer", "main", "worker"]);
    }
  });

  it("refuses a zip that differs from its record by one byte", () => {
    const copy = mkdtempSync(join(tmpdir(), "fanout-release-"));
    cpSync(join(releasesDir, "v0.1.0"), join(copy, "v0.1.0"), { recursive: true });
    const worker = join(copy, "v0.1.0", "worker.zip");
    const bytes = readFileSync(worker);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    writeFileSync(worker, bytes);
    expect(() => readRelease("0.1.0", copy)).toThrow(
      /worker\.zip: \d+ bytes, sha256 [0-9a-f]{64}; release\.json says/,
    );
  });

  it("refuses a record naming another version than its folder", () => {
    const copy = mkdtempSync(join(tmpdir(), "fanout-release-"));
    cpSync(join(releasesDir, "v0.1.0"), join(copy, "v0.2.0"), { recursive: true });
    expect(() => readRelease("0.2.0", copy)).toThrow(/version 0\.1\.0/);
  });
});
