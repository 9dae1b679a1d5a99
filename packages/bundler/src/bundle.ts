import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";
import { readManifest, targetOf } from "./manifest.ts";
import { writeDeterministicZip } from "./zip.ts";

export interface BundleOptions {
  /** The function's folder (holding package.json and src/handler.ts). */
  functionDir: string;
  /** Leave `@aws-sdk/*` (and `@smithy/*`) out of the bundle, for the copy the Lambda runtime ships. */
  externalSdk?: boolean;
  /**
   * Where `index.mjs`, its map and the zip go instead of the function's `dist/` (the zip keeps the
   * manifest's file name). For builds that must not touch the real output, e.g. benchmarks of variants.
   */
  outDir?: string;
  /**
   * Put `index.mjs.map` into the zip as well. Default false: the map is written next to the zip for
   * decoding stack traces offline, but kept out of what is deployed (docs/decisions/0500-bundle-aws-sdk.md).
   */
  mapInZip?: boolean;
}

export interface BundleResult {
  zipPath: string;
  zipBytes: number;
  bundleBytes: number;
  mapBytes: number;
}

/**
 * Bundles `src/handler.ts` into `dist/index.mjs` (ESM, minified, target of the function's runtime,
 * with the AWS SDK inside, and an external source map beside it) and zips the bundle into the
 * manifest's zip path.
 *
 * @example
 * const { zipPath, zipBytes } = await bundleFunction({ functionDir: "functions/worker" });
 */
export async function bundleFunction(options: BundleOptions): Promise<BundleResult> {
  const manifest = readManifest(options.functionDir);
  const dist = options.outDir ?? join(options.functionDir, "dist");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const outfile = join(dist, "index.mjs");
  await build({
    absWorkingDir: options.functionDir,
    entryPoints: ["src/handler.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: targetOf(manifest.runtime),
    minify: true,
    sourcemap: "external",
    sourcesContent: false,
    legalComments: "none",
    // Prefer ESM entry points, which tree-shake better than CommonJS ones.
    mainFields: ["module", "main"],
    external: options.externalSdk ? ["@aws-sdk/*", "@smithy/*"] : [],
    // Some CommonJS dependencies call require(); ESM output needs it defined.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: "warning",
  });
  const bundle = readFileSync(outfile);
  const map = readFileSync(`${outfile}.map`);
  const zipPath =
    options.outDir === undefined
      ? join(options.functionDir, manifest.zip)
      : join(dist, basename(manifest.zip));
  await writeDeterministicZip(zipPath, [
    { name: "index.mjs", data: bundle },
    ...(options.mapInZip ? [{ name: "index.mjs.map", data: map }] : []),
  ]);
  return {
    zipPath,
    zipBytes: readFileSync(zipPath).length,
    bundleBytes: bundle.length,
    mapBytes: map.length,
  };
}

export function describeResult(r: BundleResult): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return `${basename(r.zipPath)}: zip ${kb(r.zipBytes)} (index.mjs ${kb(r.bundleBytes)}, map ${kb(r.mapBytes)} beside it, not in the zip)`;
}
