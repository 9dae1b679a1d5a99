import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

/** The repository root, three levels above this file (packages/infra-check/src). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  fanout?: FunctionManifest;
}

/** The `"fanout"` block of a function's package.json: what `pnpm build` produces. */
export interface FunctionManifest {
  function: string;
  handler: string;
  runtime: string;
  architecture: string;
  zip: string;
}

export interface WorkspacePackage {
  name: string;
  /** Directory relative to the repository root, e.g. "packages/core". */
  dir: string;
  json: PackageJson;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Every workspace package, found from the globs in pnpm-workspace.yaml (`dir/*` form). */
export function workspacePackages(root = repoRoot): WorkspacePackage[] {
  const config = parseYaml(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")) as {
    packages?: string[];
  };
  const found: WorkspacePackage[] = [];
  for (const glob of config.packages ?? []) {
    const parent = glob.replace(/\/\*$/, "");
    const abs = join(root, parent);
    if (!existsSync(abs)) continue;
    const dirs = glob.endsWith("/*") ? readdirSync(abs).map((d) => join(abs, d)) : [abs];
    for (const dir of dirs) {
      const file = join(dir, "package.json");
      if (!existsSync(file)) continue;
      const json = readJson<PackageJson>(file);
      if (json.name) found.push({ name: json.name, dir: relative(root, dir), json });
    }
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Workspace packages that declare a `"fanout"` function block. */
export function functionPackages(root = repoRoot): Array<WorkspacePackage & { fanout: FunctionManifest }> {
  return workspacePackages(root).flatMap((p) => (p.json.fanout ? [{ ...p, fanout: p.json.fanout }] : []));
}

const workspaceDepsOf = (json: PackageJson): string[] =>
  Object.entries({ ...json.dependencies, ...json.devDependencies })
    .filter(([, spec]) => spec.startsWith("workspace:"))
    .map(([name]) => name);

/**
 * Every workspace package a package depends on, directly or through other workspace packages, over
 * dependencies and devDependencies (turbo's package graph, which `--filter=<pkg>...` follows).
 */
export function workspaceClosure(name: string, packages = workspacePackages()): WorkspacePackage[] {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const seen = new Set<string>();
  const stack = [...workspaceDepsOf(byName.get(name)?.json ?? {})];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next) || next === name) continue;
    seen.add(next);
    const pkg = byName.get(next);
    if (pkg) stack.push(...workspaceDepsOf(pkg.json));
  }
  return [...seen].flatMap((n) => byName.get(n) ?? []).sort((a, b) => a.dir.localeCompare(b.dir));
}
