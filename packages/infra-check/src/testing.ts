import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Finding } from "./findings.ts";
import { loadStack, type Stack } from "./hcl.ts";
import type { SettingsFile } from "./settings.ts";
import { parseWorkflow, type Workflow } from "./workflows.ts";
import { repoRoot } from "./workspace.ts";

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const terraformDir = join(repoRoot, "terraform");

/** The real stack, with broken fixture files from fixtures/tf/ dropped into the named module directories. */
export function stackWith(...fixtures: Array<[name: string, dir: string]>): Promise<Stack> {
  return loadStack(
    terraformDir,
    fixtures.map(([name, dir]) => ({
      dir,
      name,
      source: readFileSync(join(fixturesDir, "tf", name), "utf8"),
    })),
  );
}

export function settingsFixture(name: string): SettingsFile {
  const path = join(fixturesDir, "settings", name);
  return { path, values: JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown> };
}

/** A workflow fixture, parsed as if it were at `asPath` (default: .github/workflows/<name>). */
export function workflowFixture(name: string, asPath = `.github/workflows/${name}`): Workflow {
  return parseWorkflow(asPath, readFileSync(join(fixturesDir, "workflows", name), "utf8"));
}

export { expr } from "./hcl.ts";

/** Messages of the findings, for readable assertions. */
export function messages(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.where}: ${f.message}`);
}
