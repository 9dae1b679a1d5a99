import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { type Finding, finding } from "./findings.ts";
import type { Block, Stack } from "./hcl.ts";
import { repoRoot } from "./workspace.ts";

/**
 * The first tflint-ruleset-aws release whose `aws_lambda_function_invalid_runtime` rule (enabled, an ERROR)
 * knows each Lambda runtime: an older pin fails `tflint --recursive` on GitHub. Read from the ruleset's
 * tags (`rules/models/aws_lambda_function_invalid_runtime.go`); add a runtime here before using it.
 */
export const rulesetKnowsRuntimeSince: Readonly<Record<string, string>> = {
  "nodejs20.x": "0.28.0",
  "nodejs22.x": "0.36.0",
  "nodejs24.x": "0.44.0",
};

/** The AWS ruleset's pinned version in a parsed `.tflint.hcl`. */
export function pinnedAwsRuleset(config: Block): string | undefined {
  const aws = (config.plugin as Record<string, Block[]> | undefined)?.aws?.[0];
  return typeof aws?.version === "string" ? aws.version : undefined;
}

export async function readTflintConfig(path = join(repoRoot, "terraform", ".tflint.hcl")): Promise<Block> {
  return (await parse(path, readFileSync(path, "utf8"))) as Block;
}

const runtimePattern = /\b(nodejs\d+\.x|python3\.\d+|java\d+|ruby\d\.\d|provided\.al\d+|dotnet\d+)\b/g;

/** Every Lambda runtime the stack names: set on a module call, defaulted, or allowed by a validation. */
export function runtimesOf(stack: Stack): string[] {
  const found = new Set<string>();
  for (const mod of stack.modules.values()) {
    for (const call of mod.moduleCalls.values())
      if (typeof call.runtime === "string")
        for (const m of call.runtime.matchAll(runtimePattern)) found.add(m[0]);
    const variable = mod.variables.get("runtime");
    if (variable) for (const m of JSON.stringify(variable).matchAll(runtimePattern)) found.add(m[0]);
    for (const r of mod.resources.filter((r) => r.type === "aws_lambda_function"))
      if (typeof r.body.runtime === "string")
        for (const m of r.body.runtime.matchAll(runtimePattern)) found.add(m[0]);
  }
  return [...found].sort();
}

const versionParts = (v: string): number[] => v.replace(/^v/, "").split(".").map(Number);
function olderThan(a: string, b: string): boolean {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/** The pinned AWS ruleset knows every runtime the stack may deploy (else tflint fails on GitHub only). */
export function checkTflintRuleset(stack: Stack, config: Block): Finding[] {
  const where = "terraform/.tflint.hcl";
  const pinned = pinnedAwsRuleset(config);
  if (!pinned) return [finding("tflint", where, 'plugin "aws" has no pinned version')];
  const out: Finding[] = [];
  for (const runtime of runtimesOf(stack)) {
    const since = rulesetKnowsRuntimeSince[runtime];
    if (!since)
      out.push(
        finding(
          "tflint",
          where,
          `runtime ${runtime} is not in rulesetKnowsRuntimeSince (packages/infra-check/src/tflint-ruleset.ts): look up the first tflint-ruleset-aws release that knows it`,
        ),
      );
    else if (olderThan(pinned, since))
      out.push(
        finding(
          "tflint",
          where,
          `tflint-ruleset-aws ${pinned} does not know runtime ${runtime} (known since ${since}): aws_lambda_function_invalid_runtime fails`,
        ),
      );
  }
  return out;
}
