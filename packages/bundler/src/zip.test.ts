import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { writeDeterministicZip } from "./zip.ts";

const a = { name: "index.mjs", data: Buffer.from("export const handler = 1;") };
const b = { name: "index.mjs.map", data: Buffer.from("{}") };
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Machines that differ in every setting a zip writer might leak: time zone, locale, umask. */
const machines = [
  { TZ: "UTC", LANG: "C", umask: 0o022 },
  { TZ: "America/New_York", LANG: "en_US.UTF-8", umask: 0o077 },
  { TZ: "Asia/Tokyo", LANG: "ja_JP.UTF-8", umask: 0o002 },
];

/** Runs an ES module snippet in a fresh Node process on one of the machines; returns what it prints. */
function runOn(machine: (typeof machines)[number], code: string): string {
  return execFileSync(
    process.execPath,
    ["--input-type=module", "-e", `process.umask(${machine.umask});\n${code}`],
    {
      env: { ...process.env, TZ: machine.TZ, LANG: machine.LANG, LC_ALL: machine.LANG },
      encoding: "utf8",
    },
  ).trim();
}

const zipModule = new URL("./zip.ts", import.meta.url).href;
const bundleModule = new URL("./bundle.ts", import.meta.url).href;
const workerDir = fileURLToPath(new URL("../../../functions/worker", import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), "zip-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  vi.useRealTimers();
});

describe("writeDeterministicZip", () => {
  it("writes byte-identical zips for the same entries in any order, whatever the clock says", async () => {
    const dir = mkdtempSync(join(scratch, "order-"));
    vi.useFakeTimers({ now: new Date("2031-07-04T15:16:17Z"), toFake: ["Date"] });
    await writeDeterministicZip(join(dir, "1.zip"), [a, b]);
    vi.setSystemTime(new Date("2044-02-29T23:59:59Z"));
    await writeDeterministicZip(join(dir, "2.zip"), [b, a]);
    expect(sha256(readFileSync(join(dir, "2.zip")))).toBe(sha256(readFileSync(join(dir, "1.zip"))));
  });

  it("stores each entry as 1980-01-01 00:00, mode 0644, with no extra field that could hold a UTC time", async () => {
    const path = join(scratch, "one.zip");
    await writeDeterministicZip(path, [a]);
    const zip = readFileSync(path);
    // Local file header: signature, ..., time at 10, date at 12, extra field length at 28.
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.readUInt16LE(10)).toBe(0); // 00:00:00
    expect(zip.readUInt16LE(12)).toBe((0 << 9) | (1 << 5) | 1); // 1980-01-01
    expect(zip.readUInt16LE(28)).toBe(0);
    // Central directory header: external attributes at 38 (mode in the high 16 bits), extra length at 30.
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    expect(zip.readUInt32LE(central + 38) >>> 16).toBe(0o100644);
    expect(zip.readUInt16LE(central + 30)).toBe(0);
  });

  it("writes the same bytes in every time zone, locale and umask", { timeout: 60_000 }, () => {
    const hashes = machines.map((machine) =>
      runOn(
        machine,
        `import { writeDeterministicZip } from ${JSON.stringify(zipModule)};
         import { readFileSync, mkdtempSync } from "node:fs";
         import { createHash } from "node:crypto";
         const path = mkdtempSync(${JSON.stringify(join(scratch, "tz-"))}) + "/x.zip";
         await writeDeterministicZip(path, [
           { name: "index.mjs.map", data: Buffer.from("{}") },
           { name: "index.mjs", data: Buffer.from("export const handler = 1;") },
         ]);
         console.log(createHash("sha256").update(readFileSync(path)).digest("hex"));`,
      ),
    );
    expect(new Set(hashes).size, hashes.join("\n")).toBe(1);
  });
});

describe("bundleFunction", () => {
  it("builds the worker into the same zip in every time zone, locale and umask", { timeout: 180_000 }, () => {
    const hashes = machines.map((machine) =>
      runOn(
        machine,
        `import { bundleFunction } from ${JSON.stringify(bundleModule)};
         import { readFileSync, mkdtempSync } from "node:fs";
         import { createHash } from "node:crypto";
         const r = await bundleFunction({ functionDir: ${JSON.stringify(workerDir)}, outDir: mkdtempSync(${JSON.stringify(join(scratch, "bundle-"))}) });
         console.log(createHash("sha256").update(readFileSync(r.zipPath)).digest("hex"));`,
      ),
    );
    expect(new Set(hashes).size, hashes.join("\n")).toBe(1);
  });
});
