#!/usr/bin/env node
// The workspace checks with a report: `pnpm --filter @fanout/repo-check check [--write] [--turbo]`.
// --write refreshes each README's example blocks from its examples/ files; --turbo also runs the
// turbo hash check (a dry run per package, a few seconds).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatFindings, repoRoot } from "@fanout/infra-check";
import { checkSources, examplesOf, loadWorkspace } from "./checks.ts";
import { embedExamples } from "./readme-examples.ts";
import { checkDependentsRehash } from "./turbo-hashes.ts";

const { values } = parseArgs({ options: { write: { type: "boolean" }, turbo: { type: "boolean" } } });
const workspace = loadWorkspace(repoRoot);

if (values.write) {
  for (const pkg of workspace.packages) {
    const file = join(repoRoot, pkg.dir, "README.md");
    try {
      const readme = readFileSync(file, "utf8");
      const updated = embedExamples(readme, examplesOf(repoRoot, pkg));
      if (updated !== readme) {
        writeFileSync(file, updated);
        console.log(`refreshed ${pkg.dir}/README.md`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

console.log("exports per entry point:");
for (const pkg of workspace.packages) {
  for (const entry of workspace.entries.get(pkg.name) ?? []) {
    console.log(`  ${entry.specifier.padEnd(28)} ${String(entry.names.length).padStart(3)}`);
  }
}
const findings = [
  ...checkSources(loadWorkspace(repoRoot)),
  ...(values.turbo
    ? checkDependentsRehash({ root: repoRoot, turbo: join(repoRoot, "node_modules", ".bin", "turbo") })
    : []),
];
if (findings.length > 0) console.error(formatFindings(findings));
console.log(`${findings.length} finding(s)`);
process.exit(findings.length > 0 ? 1 : 0);
