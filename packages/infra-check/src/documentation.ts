import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Finding, finding } from "./findings.ts";
import type { Stack } from "./hcl.ts";

const moduleFiles = ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"];

const described = (body: Record<string, unknown>) =>
  typeof body.description === "string" && body.description.trim().length > 0;

/**
 * Every variable has a type and a description; every output has a description (Terraform outputs have
 * no type argument); every module has main.tf, variables.tf, outputs.tf, versions.tf and README.md.
 */
export function checkDocumentation(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values()) {
    const where = mod.dir || "root";
    for (const [name, body] of mod.variables) {
      if (body.type === undefined)
        out.push(finding("documentation", where, `variable "${name}" has no type`));
      if (!described(body))
        out.push(finding("documentation", where, `variable "${name}" has no description`));
    }
    for (const [name, body] of mod.outputs) {
      if (!described(body)) out.push(finding("documentation", where, `output "${name}" has no description`));
    }
    if (mod.dir !== "") {
      for (const file of moduleFiles) {
        if (!existsSync(join(mod.absDir, file))) out.push(finding("documentation", where, `missing ${file}`));
      }
    }
  }
  return out;
}
