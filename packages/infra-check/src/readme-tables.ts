#!/usr/bin/env node
// `pnpm --filter @fanout/infra-check readme-tables`: rewrites the ## Inputs and ## Outputs tables of every
// Terraform README (terraform/README.md and terraform/modules/*/README.md) from variables.tf and outputs.tf.
// `readme-tables --check [<module dir> <markdown file>]`: prints the module-readme findings instead, of
// every README or of one file read as the README of one module (modules/schedule, or "" for the root).
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatFindings } from "./findings.ts";
import { loadStack } from "./hcl.ts";
import {
  checkModuleReadmes,
  inputColumns,
  inputRows,
  markdownTable,
  outputColumns,
  outputRows,
  parseModuleReadme,
  readModuleReadmes,
  replaceTable,
} from "./module-readme.ts";
import { repoRoot } from "./workspace.ts";

const stack = await loadStack(join(repoRoot, "terraform"));
const [mode, dir, file] = process.argv.slice(2);

if (mode === "--check") {
  const readmes =
    dir !== undefined && file !== undefined
      ? [await parseModuleReadme(dir, readFileSync(resolve(process.env.INIT_CWD ?? ".", file), "utf8"), file)]
      : await readModuleReadmes(stack);
  const findings = checkModuleReadmes(stack, readmes);
  if (findings.length > 0) console.error(formatFindings(findings));
  console.log(`${findings.length} finding(s)`);
  process.exit(findings.length > 0 ? 1 : 0);
}

for (const readme of await readModuleReadmes(stack)) {
  const mod = stack.modules.get(readme.dir);
  if (!mod) continue;
  const path = join(mod.absDir, "README.md");
  const inputs = replaceTable(readme.markdown, "Inputs", markdownTable(inputColumns, inputRows(mod)));
  const written = replaceTable(inputs, "Outputs", markdownTable(outputColumns, outputRows(mod)));
  if (written !== readme.markdown) writeFileSync(path, written);
  console.log(`${written === readme.markdown ? "unchanged" : "rewrote  "} ${path}`);
}
