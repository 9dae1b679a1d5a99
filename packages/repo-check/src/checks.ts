import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Finding, type WorkspacePackage, workspacePackages } from "@fanout/infra-check";
import { checkClauseTables } from "./clause-tables.ts";
import { checkNarrowSurface } from "./narrow-surface.ts";
import { checkReadmeExamples } from "./readme-examples.ts";
import { checkReadmeNamesExports } from "./readme-exports.ts";
import { checkRootTypecheck } from "./root-typecheck.ts";
import { type Entry, entriesOf, importsOf } from "./surface.ts";

/** What the source checks read: the packages, their entry points and every cross-package import. */
export interface Workspace {
  root: string;
  packages: WorkspacePackage[];
  entries: Map<string, Entry[]>;
}

export function loadWorkspace(root: string): Workspace {
  const packages = workspacePackages(root);
  return { root, packages, entries: entriesOf(root, packages) };
}

const readIfExists = (path: string): string | undefined =>
  existsSync(path) ? readFileSync(path, "utf8") : undefined;

/** A package's example files (`examples/*.ts`), keyed by their path in the package. */
export function examplesOf(root: string, pkg: WorkspacePackage): Map<string, string> {
  const dir = join(root, pkg.dir, "examples");
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .sort()
      .map((f) => [`examples/${f}`, readFileSync(join(dir, f), "utf8")]),
  );
}

function tsconfigInclude(root: string, pkg: WorkspacePackage): string[] {
  const text = readIfExists(join(root, pkg.dir, "tsconfig.json"));
  return text ? ((JSON.parse(text) as { include?: string[] }).include ?? []) : [];
}

/**
 * The packages a function's zip is built from: each function package (a `"fanout"` block) and every workspace
 * package its runtime `dependencies` reach. Benchmarks and tools may spell conditions as they like.
 */
export function shippedPackages(packages: readonly WorkspacePackage[]): Set<string> {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const shipped = new Set<string>();
  const stack = packages.filter((p) => p.json.fanout).map((p) => p.name);
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (shipped.has(name)) continue;
    shipped.add(name);
    for (const [dep, spec] of Object.entries(byName.get(name)?.json.dependencies ?? {}))
      if (spec.startsWith("workspace:")) stack.push(dep);
  }
  return shipped;
}

/** A package's shipped source files (every `.ts` under `src` but tests and the `testing.ts` helpers), keyed by their path from the root. */
export function sourcesOf(root: string, pkg: WorkspacePackage): Map<string, string> {
  const dir = join(root, pkg.dir, "src");
  if (!existsSync(dir)) return new Map();
  return new Map(
    (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts") && !/(\.test|\.d|^testing|\/testing)\.ts$/.test(f))
      .sort()
      .map((f) => [join(pkg.dir, "src", f), readFileSync(join(dir, f), "utf8")]),
  );
}

/**
 * Narrow surfaces, READMEs that name every export, READMEs whose examples are compiled files, transition
 * tables that match the named clauses of the conditional writes.
 */
export function checkSources(workspace: Workspace): Finding[] {
  const { root, packages, entries } = workspace;
  const findings = checkNarrowSurface(packages, entries, importsOf(root, packages));
  const rootConfig = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { include?: string[] };
  findings.push(
    ...checkRootTypecheck(
      rootConfig.include ?? [],
      packages.map((pkg) => ({ dir: pkg.dir, include: tsconfigInclude(root, pkg) })),
    ),
  );
  const shipped = shippedPackages(packages);
  for (const pkg of packages) {
    const readmeFile = join(pkg.dir, "README.md");
    const readme = readIfExists(join(root, readmeFile));
    findings.push(...checkReadmeNamesExports(readmeFile, readme, entries.get(pkg.name) ?? []));
    if (shipped.has(pkg.name)) findings.push(...checkClauseTables(readmeFile, readme, sourcesOf(root, pkg)));
    if (readme !== undefined) {
      findings.push(
        ...checkReadmeExamples({
          readmeFile,
          readme,
          examples: examplesOf(root, pkg),
          tsconfigInclude: tsconfigInclude(root, pkg),
        }),
      );
    }
  }
  return findings;
}
