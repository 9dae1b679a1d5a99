import { posix } from "node:path";
import { type Finding, finding } from "./findings.ts";
import { jobsOf, triggersOf, type Workflow } from "./workflows.ts";
import {
  type FunctionManifest,
  type WorkspacePackage,
  workspaceClosure,
  workspacePackages,
} from "./workspace.ts";

type FunctionPackage = WorkspacePackage & { fanout: FunctionManifest };

/** Files outside any package that change what every pipeline installs, builds or checks. */
export const sharedInputs = [
  "pnpm-lock.yaml",
  "pnpm-workspace.yaml",
  "package.json",
  "turbo.json",
  "tsconfig.base.json",
  "biome.json",
  ".nvmrc",
  "scripts/toolchain.mjs",
];

export const reusableWorkflow = ".github/workflows/function.yml";
export const callerWorkflow = (fn: string) => `.github/workflows/function-${fn}.yml`;

/** The path filters a function's pipeline must have: itself, its workspace closure, shared inputs, its workflows. */
export function expectedPaths(fn: FunctionPackage, packages = workspacePackages()): string[] {
  return [
    `${fn.dir}/**`,
    ...workspaceClosure(fn.name, packages).map((p) => `${p.dir}/**`),
    ...sharedInputs,
    reusableWorkflow,
    callerWorkflow(fn.fanout.function),
  ];
}

function pathsOf(trigger: unknown): string[] | undefined {
  const paths = (trigger as { paths?: unknown } | undefined)?.paths;
  return Array.isArray(paths) ? paths.map(String) : undefined;
}

/**
 * Each function has a caller workflow that runs the reusable pipeline for it, triggered on push to main
 * and on pull requests by exactly: its own folder, every workspace package it depends on (transitively,
 * from package.json), the lockfile and the shared workspace files, and its workflows. The artifact the
 * pipeline uploads is the zip the function's package.json names.
 */
export function checkPathFilters(
  workflows: readonly Workflow[],
  functions: readonly FunctionPackage[],
  packages = workspacePackages(),
): Finding[] {
  const out: Finding[] = [];
  const byPath = new Map(workflows.map((w) => [w.path, w]));
  for (const fn of functions) {
    const name = fn.fanout.function;
    const wf = byPath.get(callerWorkflow(name));
    if (!wf?.doc) {
      out.push(finding("path-filters", callerWorkflow(name), `missing: no pipeline for ${fn.dir}`));
      continue;
    }
    const calls = jobsOf(wf).filter(([, job]) => job.uses === `./${reusableWorkflow}`);
    if (!calls.some(([, job]) => (job.with as Record<string, unknown> | undefined)?.function === name)) {
      out.push(
        finding("path-filters", wf.path, `does not call ./${reusableWorkflow} with function: ${name}`),
      );
    }
    const expected = new Set(expectedPaths(fn, packages));
    const triggers = triggersOf(wf);
    for (const event of ["push", "pull_request"]) {
      const paths = pathsOf(triggers[event]);
      if (!paths) {
        out.push(finding("path-filters", wf.path, `on.${event} has no paths filter`));
        continue;
      }
      for (const p of expected)
        if (!paths.includes(p)) out.push(finding("path-filters", wf.path, `on.${event}.paths misses ${p}`));
      for (const p of paths)
        if (!expected.has(p))
          out.push(
            finding(
              "path-filters",
              wf.path,
              `on.${event}.paths has ${p}, which ${fn.name} does not depend on`,
            ),
          );
    }
    const branches = (triggers.push as { branches?: unknown } | undefined)?.branches;
    if (!Array.isArray(branches) || !branches.includes("main"))
      out.push(finding("path-filters", wf.path, "on.push is not limited to main"));
  }
  const reusable = byPath.get(reusableWorkflow);
  if (!reusable?.doc) return [...out, finding("path-filters", reusableWorkflow, "missing")];
  for (const fn of functions) {
    const artifactPaths = jobsOf(reusable)
      .flatMap(([, job]) => job.steps ?? [])
      .filter((s) => typeof s.uses === "string" && s.uses.startsWith("actions/upload-artifact@"))
      .map((s) => String((s.with as Record<string, unknown> | undefined)?.path ?? ""))
      .map((p) => p.replace(/\$\{\{\s*inputs\.function\s*\}\}/g, fn.fanout.function));
    const zip = posix.join(fn.dir, fn.fanout.zip);
    if (!artifactPaths.includes(zip)) {
      out.push(
        finding(
          "path-filters",
          reusableWorkflow,
          `uploads ${JSON.stringify(artifactPaths)} for ${fn.fanout.function}; pnpm build writes ${zip}`,
        ),
      );
    }
  }
  return out;
}

/** The workflow that deploys every environment (deploy.yml), and the reusable one it runs per environment. */
export const deployTrigger = ".github/workflows/deploy.yml";

/**
 * deploy.yml runs on a push to main that changes what is deployed, and on nothing else: the three
 * functions, their workspace closures, the shared inputs, terraform/ and the workflows it runs. A change to
 * the CLI, the bench or the explorer deploys nothing (they were under a `packages/**` filter).
 */
export function checkDeployTriggers(
  workflows: readonly Workflow[],
  functions: readonly FunctionPackage[],
  packages = workspacePackages(),
): Finding[] {
  const wf = workflows.find((w) => w.path === deployTrigger);
  if (!wf?.doc) return [finding("path-filters", deployTrigger, "missing")];
  const expected = new Set([
    ...functions.flatMap((fn) =>
      expectedPaths(fn, packages).filter((p) => p !== callerWorkflow(fn.fanout.function)),
    ),
    "terraform/**",
    deployTrigger,
    ".github/workflows/deploy-environment.yml",
  ]);
  const paths = pathsOf(triggersOf(wf).push);
  if (!paths) return [finding("path-filters", wf.path, "on.push has no paths filter")];
  const out: Finding[] = [];
  for (const p of [...expected].sort())
    if (!paths.includes(p)) out.push(finding("path-filters", wf.path, `on.push.paths misses ${p}`));
  for (const p of paths)
    if (!expected.has(p))
      out.push(
        finding("path-filters", wf.path, `on.push.paths has ${p}, which no deployed function depends on`),
      );
  return out;
}
