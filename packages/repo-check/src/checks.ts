import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Finding, type WorkspacePackage, workspacePackages } from "@fanout/infra-check";
import { checkNarrowSurface } from "./narrow-surface.ts";
import { checkReadmeExamples } from "./readme-examples.ts";
import { checkReadmeNamesExports } from "./readme-exports.ts";
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

/** Narrow surfaces, READMEs that name every export, READMEs whose examples are compiled files. */
export function checkSources(workspace: Workspace): Finding[] {
  const { root, packages, entries } = workspace;
  const findings = checkNarrowSurface(packages, entries, importsOf(root, packages));
  for (const pkg of packages) {
    const readmeFile = join(pkg.dir, "README.md");
    const readme = readIfExists(join(root, readmeFile));
    findings.push(...checkReadmeNamesExports(readmeFile, readme, entries.get(pkg.name) ?? []));
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
