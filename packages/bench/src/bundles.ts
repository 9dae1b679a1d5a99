import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleFunction, writeDeterministicZip } from "@fanout/bundler";
import { functionNames, repoRoot } from "@fanout/local-stack";
import { median } from "./logs.ts";

export type Variant = "sdk-bundled" | "sdk-external";

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
 * Builds every function in both variants into a temporary folder (the real dist/ is untouched) and
 * measures sizes and cold init, alternating variants run by run so that machine noise hits both alike.
 */
export async function measureBundles(options: {
  coldRuns: number;
  log: (line: string) => void;
}): Promise<BundleFigures[]> {
  const root = mkdtempSync(join(tmpdir(), "fanout-bench-bundles-"));
  const out: BundleFigures[] = [];
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
    for (let i = 0; i < options.coldRuns; i++) {
      for (const b of built) {
        const list = runs.get(b.variant) ?? [];
        list.push(coldStart(join(b.outDir, "index.mjs")));
        runs.set(b.variant, list);
      }
    }
    for (const b of built) {
      const list = runs.get(b.variant) ?? [];
      const since = list.map((x) => Math.round(x.sinceStart * 10) / 10);
      const imports = list.map((x) => x.importMs);
      const figures: BundleFigures = {
        function: fn,
        variant: b.variant,
        zipBytesWithMap: b.r.zipBytes,
        zipBytes: b.zipBytes,
        bundleBytes: b.r.bundleBytes,
        mapBytes: b.r.mapBytes,
        coldInitMs: { median: median(since), max: Math.max(...since), runs: since },
        importMs: { median: median(imports), max: Math.max(...imports) },
      };
      options.log(
        `  ${fn} ${b.variant}: zip ${(figures.zipBytes / 1024).toFixed(0)} KB (${(figures.zipBytesWithMap / 1024).toFixed(0)} KB with map), cold init median ${figures.coldInitMs.median.toFixed(0)} ms, max ${figures.coldInitMs.max.toFixed(0)} ms`,
      );
      out.push(figures);
    }
  }
  return out;
}
