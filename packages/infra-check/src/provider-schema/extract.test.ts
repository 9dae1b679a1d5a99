import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatJson, JsiiTypeScanner, readJsii } from "./extract.ts";
import { committedSchemaPath } from "./schema.ts";

const link = (name: string) =>
  `Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/aws/6.66.0/docs/resources/lambda_function#${name} LambdaFunction#${name}}.`;

// A two-type jsii manifest shaped like @cdktn/provider-aws's, with a block struct and computed getters.
const jsii = {
  name: "@cdktn/provider-aws",
  readme: { markdown: 'quotes " and braces { [ in a string' },
  types: {
    "@cdktn/provider-aws.lambdaFunction.LambdaFunction": {
      fqn: "@cdktn/provider-aws.lambdaFunction.LambdaFunction",
      kind: "class",
      base: "cdktn.TerraformResource",
      docs: {
        summary:
          "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.66.0/docs/resources/lambda_function aws_lambda_function}.",
      },
      initializer: {
        parameters: [
          { name: "config", type: { fqn: "@cdktn/provider-aws.lambdaFunction.LambdaFunctionConfig" } },
        ],
      },
      properties: [
        { name: "tfResourceType", immutable: true, static: true, type: { primitive: "string" } },
        { name: "invokeArn", immutable: true, type: { primitive: "string" } },
        { name: "memorySizeInput", immutable: true, type: { primitive: "number" } },
      ],
    },
    "@cdktn/provider-aws.lambdaFunction.LambdaFunctionConfig": {
      fqn: "@cdktn/provider-aws.lambdaFunction.LambdaFunctionConfig",
      kind: "interface",
      datatype: true,
      properties: [
        { name: "functionName", type: { primitive: "string" }, docs: { summary: link("function_name") } },
        {
          name: "memorySize",
          optional: true,
          type: { primitive: "number" },
          docs: { summary: link("memory_size") },
        },
        {
          name: "publish",
          optional: true,
          type: { union: { types: [{ primitive: "boolean" }, { fqn: "cdktn.IResolvable" }] } },
          docs: { summary: link("publish") },
        },
        {
          name: "environment",
          optional: true,
          type: { fqn: "@cdktn/provider-aws.lambdaFunction.LambdaFunctionEnvironment" },
          docs: { summary: "environment block.", remarks: link("environment") },
        },
      ],
    },
    "@cdktn/provider-aws.lambdaFunction.LambdaFunctionEnvironment": {
      fqn: "@cdktn/provider-aws.lambdaFunction.LambdaFunctionEnvironment",
      kind: "interface",
      datatype: true,
      properties: [
        {
          name: "variables",
          optional: true,
          type: { collection: { kind: "map", elementtype: { primitive: "string" } } },
          docs: { summary: link("variables") },
        },
      ],
    },
  },
  version: "25.7.0",
};

const scratch = mkdtempSync(join(tmpdir(), "extract-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("provider schema extraction", () => {
  it("hands over each member of `types` whole, however the document is chunked", () => {
    const text = Buffer.from(JSON.stringify(jsii, null, 1));
    for (const size of [1, 7, 4096]) {
      const seen: string[] = [];
      const scanner = new JsiiTypeScanner((fqn, json) => {
        expect((JSON.parse(json) as { fqn: string }).fqn).toBe(fqn);
        seen.push(fqn);
      });
      for (let at = 0; at < text.length; at += size) scanner.write(text.subarray(at, at + size));
      expect(seen).toEqual(Object.keys(jsii.types));
    }
  });

  it("reads resource classes and their config structs out of an npm tarball", async () => {
    const dir = join(scratch, "package");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".jsii"), JSON.stringify(jsii));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ cdktf: { provider: { version: "6.66.0" } } }));
    const tarball = join(scratch, "provider.tgz");
    execFileSync("tar", ["-czf", tarball, "-C", scratch, "package"]);

    const read = await readJsii(tarball);
    expect(read.providerVersion).toBe("6.66.0");
    expect(read.classes).toEqual([
      {
        tfName: "aws_lambda_function",
        kind: "resource",
        config: "@cdktn/provider-aws.lambdaFunction.LambdaFunctionConfig",
        computed: ["invoke_arn"],
      },
    ]);
    expect(
      read.structs
        .get("@cdktn/provider-aws.lambdaFunction.LambdaFunctionConfig")
        ?.map((p) => [p.name, p.required, p.block]),
    ).toEqual([
      ["function_name", true, false],
      ["memory_size", false, false],
      ["publish", false, false],
      ["environment", false, true],
    ]);
  });

  it("writes the committed file exactly as the formatter would", () => {
    const text = readFileSync(committedSchemaPath(), "utf8");
    expect(`${formatJson(JSON.parse(text))}\n`).toBe(text);
  });
});
