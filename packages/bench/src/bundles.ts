import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleFunction, writeDeterministicZip } from "@fanout/bundler";
import { functionNames, repoRoot } from "@fanout/local-stack";
import { median } from "./logs.ts";

export type Variant = "sdk-bundled" | "sdk-external";

/** The reference of the cold-init ratio: a bundle whose module only exports an empty handler. */
export const emptyFunction = "empty-handler";

export interface BundleFigures {
  function: string;
  variant: Variant;
  /** The zip as `pnpm build` makes it today: index.mjs and index.mjs.map. */
  zipBytesWithMap: number;
  /** The zip with index.mjs only. */
  zipBytes: number;
  bundleBytes: number;
  mapBytes: number;
  /** Process start to handler module loaded, in fresh processes (ms). */
  coldInitMs: { median: number; max: number; runs: number[] };
  /** The import alone (ms). */
  importMs: { median: number; max: number };
  /**
   * Cold init ÷ the empty handler bundle's, measured the same way in the same run: each cold start paired
   * with an empty handler's cold start just before it, the median of the pairs' ratios. What the bundle adds
   * to a bare Node start, independent of how fast the machine is, and (paired) of load that comes and goes.
   */
  coldInitRatio: number;
  /** Each pair's ratio. */
  coldInitRatios: number[];
}

/** Environment a function needs to load: its configuration is read at init, clients are created. */
const initEnv: Record<string, string> = {
  TASKS_QUEUE_URL: "http://127.0.0.1:9/000000000000/fanout-tasks",
  TABLE_NAME: "fanout-dedup",
  WORKER_FUNCTION_NAME: "fanout-worker",
  CONSUMER_FUNCTION_NAME: "fanout-consumer",
  RUN_LEASE_SECONDS: "90",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  LOG_LEVEL: "WARN",
};

const probe = `const t0 = performance.now();
await import(process.argv[1]);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ sinceStart: t1, importMs: t1 - t0 }));`;

function coldStart(file: string): { sinceStart: number; importMs: number } {
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", probe, pathToFileURL(file).href], {
    env: { PATH: process.env.PATH ?? "", ...initEnv },
    encoding: "utf8",
  });
  if (out.status !== 0) throw new Error(`cold start of ${file} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as { sinceStart: number; importMs: number };
}

/**
 * Makes `@aws-sdk/*` and `@smithy/*` imports of an external-SDK bundle resolvable beside it, as the
 * Lambda runtime's own SDK copy would be: a node_modules folder of symlinks to the workspace's packages
 * (Node follows them to the pnpm store, where their own dependencies resolve).
 */
function linkSdk(dir: string, bundle: string): string[] {
  const specifiers = new Set<string>();
  for (const m of bundle.matchAll(/["'](@(?:aws-sdk|smithy)\/[a-z0-9-]+)/g)) if (m[1]) specifiers.add(m[1]);
  const candidates = [
    ...readdirSync(join(repoRoot, "packages")).map((p) => join(repoRoot, "packages", p, "node_modules")),
    join(repoRoot, "node_modules"),
  ];
  const store = join(repoRoot, "node_modules", ".pnpm");
  for (const spec of specifiers) {
    let found = candidates.map((c) => join(c, spec)).find((p) => existsSync(p));
    if (!found) {
      const flat = spec.replace("/", "+");
      const entry = readdirSync(store).find((e) => e.startsWith(`${flat}@`));
      if (entry) found = join(store, entry, "node_modules", spec);
    }
    if (!found) throw new Error(`cannot resolve ${spec} for the external-SDK bundle`);
    const link = join(dir, "node_modules", spec);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(realpathSync(found), link, "dir");
  }
  return [...specifiers];
}

/**
 * A function folder whose handler does nothing (`export const handler = async () => {};`) with the same
 * manifest as the real ones, so `bundleFunction` builds it exactly as it builds them.
 */
function writeEmptyFunction(root: string): string {
  const dir = join(root, "empty-function");
  mkdirSync(join(dir, "src"), { recursive: true });
  const manifest = JSON.parse(
    readFileSync(join(repoRoot, "functions", "worker", "package.json"), "utf8"),
  ) as {
    fanout: Record<string, string>;
  };
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "empty-function", private: true, type: "module", fanout: { ...manifest.fanout, function: "empty-handler", zip: "dist/empty-handler.zip" } }, null, 2)}\n`,
  );
  writeFileSync(join(dir, "src", "handler.ts"), "export const handler = async () => {};\n");
  return dir;
}

/**
 * Builds every function in both variants, and the empty handler, into a temporary folder (the real dist/
 * is untouched) and measures sizes and cold init, alternating bundles run by run so that machine noise hits
 * all alike, each run right after an empty handler's run: each function's cold init is also given as the
 * median ratio to those paired empty-handler runs.
 */
export async function measureBundles(options: {
  coldRuns: number;
  log: (line: string) => void;
}): Promise<BundleFigures[]> {
  const root = mkdtempSync(join(tmpdir(), "fanout-bench-bundles-"));
  const out: BundleFigures[] = [];
  const emptyDir = join(root, "empty", "sdk-bundled");
  const emptyBuild = await bundleFunction({
    functionDir: writeEmptyFunction(root),
    outDir: emptyDir,
    mapInZip: true,
  });
  const emptyRuns: { sinceStart: number; importMs: number }[] = [];
  for (const fn of functionNames) {
    const built = [];
    for (const variant of ["sdk-bundled", "sdk-external"] as const) {
      const outDir = join(root, fn, variant);
      const r = await bundleFunction({
        functionDir: join(repoRoot, "functions", fn),
        externalSdk: variant === "sdk-external",
        outDir,
        mapInZip: true,
      });
      const bundle = readFileSync(join(outDir, "index.mjs"));
      const bare = join(outDir, "bare.zip");
      await writeDeterministicZip(bare, [{ name: "index.mjs", data: bundle }]);
      if (variant === "sdk-external") linkSdk(outDir, bundle.toString("utf8"));
      built.push({ variant, outDir, r, zipBytes: readFileSync(bare).length });
    }
    const runs = new Map<Variant, { sinceStart: number; importMs: number }[]>();
    const ratios = new Map<Variant, number[]>();
    for (let i = 0; i < options.coldRuns; i++) {
      for (const b of built) {
        const empty = coldStart(join(emptyDir, "index.mjs"));
        emptyRuns.push(empty);
        const run = coldStart(join(b.outDir, "index.mjs"));
        runs.set(b.variant, [...(runs.get(b.variant) ?? []), run]);
        ratios.set(b.variant, [...(ratios.get(b.variant) ?? []), run.sinceStart / empty.sinceStart]);
      }
    }
    for (const b of built) {
      const f = figuresOf(fn, b.variant, b.r, b.zipBytes, runs.get(b.variant) ?? []);
      f.coldInitRatios = (ratios.get(b.variant) ?? []).map((r) => Math.round(r * 100) / 100);
      f.coldInitRatio = median(ratios.get(b.variant) ?? []);
      out.push(f);
    }
  }
  const emptyBare = join(emptyDir, "bare.zip");
  await writeDeterministicZip(emptyBare, [
    { name: "index.mjs", data: readFileSync(join(emptyDir, "index.mjs")) },
  ]);
  const empty = figuresOf(
    emptyFunction,
    "sdk-bundled",
    emptyBuild,
    readFileSync(emptyBare).length,
    emptyRuns,
  );
  out.push(empty);
  for (const f of out)
    options.log(
      `  ${f.function} ${f.variant}: zip ${(f.zipBytes / 1024).toFixed(0)} KB (${(f.zipBytesWithMap / 1024).toFixed(0)} KB with map), cold init median ${f.coldInitMs.median.toFixed(0)} ms (${f.coldInitRatio.toFixed(2)}× the empty handler's), max ${f.coldInitMs.max.toFixed(0)} ms`,
    );
  return out;
}

function figuresOf(
  fn: string,
  variant: Variant,
  r: { zipBytes: number; bundleBytes: number; mapBytes: number },
  zipBytes: number,
  list: readonly { sinceStart: number; importMs: number }[],
): BundleFigures {
  const since = list.map((x) => Math.round(x.sinceStart * 10) / 10);
  const imports = list.map((x) => x.importMs);
  return {
    function: fn,
    variant,
    zipBytesWithMap: r.zipBytes,
    zipBytes,
    bundleBytes: r.bundleBytes,
    mapBytes: r.mapBytes,
    coldInitMs: { median: median(since), max: Math.max(...since), runs: since },
    importMs: { median: median(imports), max: Math.max(...imports) },
    coldInitRatio: 1,
    coldInitRatios: [],
  };
}
