import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type FunctionName, functionNames, repoRoot } from "./paths.ts";

/** Released builds, one folder each: `releases/v<version>/` with `release.json` and the three zips. */
export const releasesDir = join(repoRoot, "releases");

const zipSchema = z.strictObject({
  file: z.string().regex(/^[a-z]+\.zip$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
});

const releaseSchema = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  /** The commit the zips were built from (`pnpm build` is byte-reproducible). */
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  date: z.iso.date(),
  runtime: z.literal("nodejs24.x"),
  architecture: z.literal("arm64"),
  zips: z.strictObject({ main: zipSchema, consumer: zipSchema, worker: zipSchema }),
});

export type ReleaseRecord = z.infer<typeof releaseSchema>;

export interface Release extends ReleaseRecord {
  /** Absolute path of each function's released zip. */
  zipPaths: Record<FunctionName, string>;
}

/**
 * Reads a release's record and checks each zip against it (its size and sha256), so an upgrade test never
 * runs a zip other than the one released.
 *
 * @example
 * const previous = readRelease("0.1.0");
 * const stack = await startStack({ code: previous.zipPaths });
 */
export function readRelease(version: string, dir = releasesDir): Release {
  const folder = join(dir, `v${version}`);
  const record = releaseSchema.parse(JSON.parse(readFileSync(join(folder, "release.json"), "utf8")));
  if (record.version !== version) throw new Error(`${folder}/release.json: version ${record.version}`);
  const zipPaths = {} as Record<FunctionName, string>;
  for (const fn of functionNames) {
    const zip = record.zips[fn];
    const path = join(folder, zip.file);
    const bytes = readFileSync(path);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (bytes.length !== zip.bytes || sha256 !== zip.sha256)
      throw new Error(
        `${path}: ${bytes.length} bytes, sha256 ${sha256}; release.json says ${zip.bytes}, ${zip.sha256}`,
      );
    zipPaths[fn] = path;
  }
  return { ...record, zipPaths };
}
