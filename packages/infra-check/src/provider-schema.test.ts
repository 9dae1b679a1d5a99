import { describe, expect, it } from "vitest";
import { outline } from "./provider-schema/outline.ts";
import { loadProviderSchema } from "./provider-schema/schema.ts";
import {
  admits,
  checkProviderSchema,
  checkProviderSchemaWithCoverage,
  literalProblem,
} from "./provider-schema.ts";
import { expr, messages, stackWith } from "./testing.ts";

const fixture = async (name: string, dir: string) =>
  messages(checkProviderSchema(await stackWith([name, dir])));

describe("provider schema check", () => {
  it("finds every resource and data block of the committed stack valid against hashicorp/aws", async () => {
    const stack = await stackWith();
    const { findings, coverage } = checkProviderSchemaWithCoverage(stack);
    expect(messages(findings)).toEqual([]);
    const blocks = [...stack.modules.values()];
    expect(coverage.resources).toBe(blocks.reduce((n, m) => n + m.resources.length, 0));
    expect(coverage.dataSources).toBe(blocks.reduce((n, m) => n + m.data.length, 0));
    expect(coverage.arguments).toBeGreaterThan(100);
    expect(coverage.nestedBlocks).toBeGreaterThan(20);
  });

  it("names the misspelled argument, its file and line, and the nearest real name", async () => {
    expect(await fixture("schema-misspelled_override.tf", "modules/function")).toEqual([
      "terraform/modules/function/schema-misspelled_override.tf:7: aws_cloudwatch_log_group.this retention_in_dayz: aws_cloudwatch_log_group has no argument retention_in_dayz; did you mean retention_in_days?",
      "terraform/modules/function/schema-misspelled_override.tf:3: aws_lambda_function.this memory_sise: aws_lambda_function has no argument memory_sise; did you mean memory_size?",
    ]);
  });

  it("reports a missing required block and a missing required argument of a nested block", async () => {
    expect(await fixture("schema-missing-required.tf", "modules/schedule")).toEqual([
      "terraform/modules/schedule/schema-missing-required.tf:6: aws_scheduler_schedule.extra target: missing required argument role_arn",
      "terraform/modules/schedule/schema-missing-required.tf:2: aws_scheduler_schedule.extra: missing required block flexible_time_window",
    ]);
  });

  it("reports a block at the wrong depth, a block written as an argument and an argument written as a block", async () => {
    expect(await fixture("schema-wrong-depth_override.tf", "modules/function")).toEqual([
      "terraform/modules/function/schema-wrong-depth_override.tf:15: aws_cloudwatch_log_group.this tags: tags is an argument (map of string), not a block: write tags = ...",
      "terraform/modules/function/schema-wrong-depth_override.tf:9: aws_lambda_function.this environment: environment is a block, not an argument: write environment { ... }",
      "terraform/modules/function/schema-wrong-depth_override.tf:3: aws_lambda_function_event_invoke_config.this on_failure: no block on_failure in aws_lambda_function_event_invoke_config: the schema has it inside destination_config",
    ]);
  });

  it("reports literals of the wrong type and leaves expressions alone", async () => {
    expect(await fixture("schema-wrong-type_override.tf", "modules/function")).toEqual([
      'terraform/modules/function/schema-wrong-type_override.tf:5: aws_lambda_function.this architectures: "arm64" is not a list of string (architectures is a list of string)',
      'terraform/modules/function/schema-wrong-type_override.tf:3: aws_lambda_function.this memory_size: "big" is not a number (memory_size is a number)',
      'terraform/modules/function/schema-wrong-type_override.tf:4: aws_lambda_function.this publish: "yes" is not a bool (publish is a bool)',
    ]);
  });

  it("checks the content of a dynamic block as the block it generates", async () => {
    expect(await fixture("schema-dynamic-misspelled_override.tf", "modules/function")).toEqual([
      "terraform/modules/function/schema-dynamic-misspelled_override.tf:7: aws_lambda_function_event_invoke_config.this destination_config.on_failur: destination_config has no block on_failur; did you mean on_failure?",
    ]);
  });

  it("accepts Terraform's meta-arguments (count, provider, lifecycle, depends_on)", async () => {
    expect(await fixture("schema-meta-arguments.tf", "modules/queue")).toEqual([]);
  });

  it("reports a root provider pin other than the committed schema's version", async () => {
    const stack = await stackWith();
    const root = stack.root.terraform[0] as { required_providers: Array<{ aws: { version: string } }> };
    (root.required_providers[0] as { aws: { version: string } }).aws.version = "= 6.27.0";
    expect(messages(checkProviderSchema(stack))).toEqual([
      `terraform/versions.tf: the root pins hashicorp/aws "= 6.27.0"; the committed schema is ${loadProviderSchema().version}: pin "= ${loadProviderSchema().version}" or regenerate the schema`,
    ]);
  });
});

describe("literal types", () => {
  it("follows Terraform's conversions of literals", () => {
    expect(literalProblem("256", "number")).toBeUndefined();
    expect(literalProblem("true", "bool")).toBeUndefined();
    expect(literalProblem(5, "string")).toBeUndefined();
    expect(literalProblem(expr("var.x"), "number")).toBeUndefined();
    expect(literalProblem(1, "bool")).toBe("1 is not a bool");
    expect(literalProblem({ a: 1 }, { map: "string" })).toBeUndefined();
    expect(literalProblem({ a: [1] }, { map: "string" })).toBe("key a: a list is not a string");
  });
});

describe("version constraints", () => {
  it("admits versions as Terraform does", () => {
    expect(admits("= 6.66.0", "6.66.0")).toBe(true);
    expect(admits(">= 6.0.0", "6.66.0")).toBe(true);
    expect(admits(">= 6.0, < 6.50", "6.66.0")).toBe(false);
    expect(admits("~> 6.66", "6.70.1")).toBe(true);
    expect(admits("~> 6.66.0", "6.67.0")).toBe(false);
  });
});

describe("HCL outline", () => {
  it("tells blocks from arguments and skips strings, templates, heredocs and comments", () => {
    const source = [
      'resource "aws_x" "y" {', // 1
      '  name = "a { b"', // 2
      "  policy = <<EOT", // 3
      "  fake {", // 4
      "EOT", // 5
      `  tags = merge(var.tags, { "k" = "${expr('var.a == null ? "}" : "x"')}" })`, // 6
      "  # comment {", // 7
      "  env {", // 8
      "    variables = {}", // 9
      "  }", // 10
      '  dynamic "d" {', // 11
      "    content {}", // 12
      "  }", // 13
      "}", // 14
    ].join("\n");
    const [resource] = outline(source);
    expect(resource?.labels).toEqual(["aws_x", "y"]);
    expect(resource?.children.map((c) => [c.name, c.kind, c.line])).toEqual([
      ["name", "argument", 2],
      ["policy", "argument", 3],
      ["tags", "argument", 6],
      ["env", "block", 8],
      ["d", "dynamic", 11],
    ]);
    expect(resource?.children[3]?.children.map((c) => c.name)).toEqual(["variables"]);
  });
});
