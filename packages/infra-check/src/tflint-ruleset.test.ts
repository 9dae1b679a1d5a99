import { describe, expect, it } from "vitest";
import { messages, stackWith } from "./testing.ts";
import { checkTflintRuleset, pinnedAwsRuleset, readTflintConfig, runtimesOf } from "./tflint-ruleset.ts";

const pinned = (version: string) => ({
  plugin: { aws: [{ enabled: true, source: "github.com/terraform-linters/tflint-ruleset-aws", version }] },
});

describe("checkTflintRuleset", () => {
  it("passes the pinned ruleset of terraform/.tflint.hcl", async () => {
    const config = await readTflintConfig();
    expect(pinnedAwsRuleset(config)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(messages(checkTflintRuleset(await stackWith(), config))).toEqual([]);
  });

  it("finds every runtime the stack names: the functions' and the module's allowed list", async () => {
    expect(runtimesOf(await stackWith())).toEqual(["nodejs22.x", "nodejs24.x"]);
  });

  it("fails the ruleset 0.40.0, which does not know nodejs24.x (tflint failed on GitHub with it)", async () => {
    expect(messages(checkTflintRuleset(await stackWith(), pinned("0.40.0")))).toEqual([
      "terraform/.tflint.hcl: tflint-ruleset-aws 0.40.0 does not know runtime nodejs24.x (known since 0.44.0): aws_lambda_function_invalid_runtime fails",
    ]);
  });

  it("fails a runtime the table does not list, and a ruleset without a pinned version", async () => {
    const stack = await stackWith(["runtime-python_override.tf", ""]);
    expect(messages(checkTflintRuleset(stack, pinned("0.48.0")))).toEqual([
      "terraform/.tflint.hcl: runtime python3.13 is not in rulesetKnowsRuntimeSince (packages/infra-check/src/tflint-ruleset.ts): look up the first tflint-ruleset-aws release that knows it",
    ]);
    expect(messages(checkTflintRuleset(stack, { plugin: { aws: [{ enabled: true }] } }))).toEqual([
      'terraform/.tflint.hcl: plugin "aws" has no pinned version',
    ]);
  });
});
