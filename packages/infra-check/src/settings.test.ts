import { readFileSync } from "node:fs";
import { join } from "node:path";
import { settingsSchema } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkInvariantsMirrored, countSchemaInvariants, invariants } from "./invariants.ts";
import { checkSettingsFiles, checkVariablesMatchSchema, readSettingsFiles } from "./settings.ts";
import { terraformBinary, terraformVerdicts } from "./terraform.ts";
import { messages, settingsFixture, stackWith, terraformDir } from "./testing.ts";

const environments = readSettingsFiles(join(terraformDir, "environments"));
const dev = JSON.parse(readFileSync(join(terraformDir, "environments", "dev.tfvars.json"), "utf8")) as Record<
  string,
  unknown
>;

describe("checkSettingsFiles", () => {
  it("has an example per environment: dev, staging, prod", () => {
    expect(environments.map((e) => e.path.replace(/^.*\//, ""))).toEqual([
      "dev.tfvars.json",
      "prod.tfvars.json",
      "staging.tfvars.json",
    ]);
  });

  it("passes every environment file: each key is a root variable, every value valid", async () => {
    expect(messages(checkSettingsFiles(await stackWith(), environments))).toEqual([]);
  });

  it.each([
    ["unknown-key.tfvars.json", '"queue_name" is not a root variable'],
    ["nested-unknown-key.tfvars.json", "queue.visibility_timeout: not an attribute of the variable's type"],
    ["wrong-type.tfvars.json", 'max_tasks_per_job: "10000" is not a number'],
    [
      "visibility-shorter.tfvars.json",
      "queue visibility timeout 30 s is shorter than the consumer timeout 60 s",
    ],
    ["rate-plural-one.tfvars.json", 'schedule_expression "rate(1 minutes)": say "1 minute"'],
    ["cron-five-fields.tfvars.json", 'schedule_expression "cron(0/5 * * * *)": cron needs 6 fields'],
  ])("catches %s", async (name, expected) => {
    const found = messages(checkSettingsFiles(await stackWith(), [settingsFixture(name)]));
    expect(found.some((m) => m.includes(expected))).toBe(true);
  });

  it("accepts a valid cron expression", async () => {
    expect(
      messages(checkSettingsFiles(await stackWith(), [settingsFixture("valid-cron.tfvars.json")])),
    ).toEqual([]);
  });
});

describe("checkVariablesMatchSchema", () => {
  it("passes: the root variables are exactly the settings schema's keys, nested and typed alike", async () => {
    expect(messages(checkVariablesMatchSchema(await stackWith()))).toEqual([]);
  });

  it("catches a variable attribute and a root variable the settings schema does not have", async () => {
    expect(
      messages(checkVariablesMatchSchema(await stackWith(["variable-extra-key_override.tf", ""]))),
    ).toEqual([
      "root: queue.delay_seconds: in the variable's type, not in the settings schema",
      'root: root variable "enable_xray" is not a settings key',
    ]);
  });
});

describe("checkInvariantsMirrored", () => {
  it("knows every invariant of the settings schema's superRefine", () => {
    expect(invariants).toHaveLength(countSchemaInvariants());
  });

  it("passes: each invariant is a validation block comparing the same settings", async () => {
    expect(messages(checkInvariantsMirrored(await stackWith(), dev))).toEqual([]);
  });

  it("catches a dropped invariant", async () => {
    expect(
      messages(checkInvariantsMirrored(await stackWith(["invariant-missing_override.tf", ""]), dev)),
    ).toEqual([
      'root: variable "dedup" has no validation comparing var.dedup.claim_lease_seconds, var.queue.visibility_timeout_seconds',
    ]);
  });

  it("catches an invariant added to the schema but not here", async () => {
    const found = messages(checkInvariantsMirrored(await stackWith(), dev, invariants.length + 1));
    expect(found[0]).toMatch(
      new RegExp(`has ${invariants.length + 1} invariants, infra-check mirrors ${invariants.length}`),
    );
  });
});

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  type?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
  minLength?: number;
};

/** Settings that probe every bound of the schema: just outside each range, fractions, bad patterns. */
function probeCases(): Array<{ name: string; values: Record<string, unknown> }> {
  const json = z.toJSONSchema(settingsSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const cases: Array<{ name: string; values: Record<string, unknown> }> = [];
  const withValue = (path: string[], value: unknown) => {
    const values = structuredClone(dev) as Record<string, unknown>;
    let at = values;
    for (const key of path.slice(0, -1)) {
      at[key] ??= {};
      at = at[key] as Record<string, unknown>;
    }
    at[path[path.length - 1] as string] = value;
    cases.push({ name: `${path.join(".")} = ${JSON.stringify(value)}`, values });
  };
  const walk = (schema: JsonSchema, path: string[]) => {
    if (schema.properties) {
      for (const [k, sub] of Object.entries(schema.properties)) walk(sub, [...path, k]);
      return;
    }
    const leaf = schema.anyOf?.find((s) => s.type !== "null") ?? schema;
    if (leaf.type === "integer" || leaf.type === "number") {
      const min = leaf.minimum ?? 0;
      withValue(path, min - 1);
      withValue(path, min);
      withValue(path, min + 0.5);
      if (leaf.maximum !== undefined && leaf.maximum < Number.MAX_SAFE_INTEGER) {
        withValue(path, leaf.maximum);
        withValue(path, leaf.maximum + 1);
      }
    }
    if (leaf.pattern !== undefined) withValue(path, "Not Valid!");
    if (leaf.enum !== undefined) withValue(path, "NOPE");
    if (leaf.minLength !== undefined) withValue(path, "");
  };
  walk(json, []);
  for (const inv of invariants) {
    const values = structuredClone(dev) as Parameters<(typeof invariants)[number]["violate"]>[0];
    inv.violate(values);
    cases.push({ name: `invariant ${inv.path.join(".")}`, values });
  }
  for (const env of environments) cases.push({ name: env.path.replace(/^.*\//, ""), values: env.values });
  return cases;
}

describe("the root variables' validation blocks, evaluated by terraform", () => {
  const bin = terraformBinary();

  // Without a terraform binary these show as skipped in the report instead of passing silently.
  it.skipIf(!bin)(
    "accept and refuse exactly what the settings schema does, at every bound and invariant",
    () => {
      if (!bin) throw new Error("unreachable: skipped without terraform");
      const cases = probeCases();
      expect(cases.length).toBeGreaterThan(60);
      const variablesTf = readFileSync(join(terraformDir, "variables.tf"), "utf8");
      const verdicts = terraformVerdicts(
        variablesTf,
        cases.map((c) => c.values),
        bin,
      );
      const disagreements = cases.flatMap((c, n) => {
        const schema = settingsSchema.safeParse(c.values).success;
        const terraform = verdicts[n]?.accepted;
        return schema === terraform
          ? []
          : [
              `${c.name}: schema ${schema ? "accepts" : "refuses"}, terraform ${terraform ? "accepts" : "refuses"}`,
            ];
      });
      expect(disagreements).toEqual([]);
    },
    // 60-odd terraform plans in a row: minutes on a loaded 2-core machine. A hang guard, not a bound.
    600_000,
  );

  it.skipIf(!bin)(
    "catch a dropped invariant (terraform accepts what the schema refuses)",
    () => {
      if (!bin) throw new Error("unreachable: skipped without terraform");
      const broken = readFileSync(join(terraformDir, "variables.tf"), "utf8").replace(
        "var.dedup.claim_lease_seconds <= var.queue.visibility_timeout_seconds",
        "var.dedup.claim_lease_seconds >= 0",
      );
      const values = structuredClone(dev) as Parameters<(typeof invariants)[number]["violate"]>[0];
      invariants.find((i) => i.path.join(".") === "dedup.claim_lease_seconds")?.violate(values);
      expect(settingsSchema.safeParse(values).success).toBe(false);
      expect(terraformVerdicts(broken, [values], bin)[0]?.accepted).toBe(true);
    },
    60_000,
  );
});

describe("the modules' validation blocks, evaluated by terraform, are the root's", () => {
  const bin = terraformBinary();
  const moduleVariables = (name: string) =>
    readFileSync(join(terraformDir, "modules", name, "variables.tf"), "utf8");
  /** Terraform's verdict on each value of one variable: at the root (dev settings) and in the module. */
  const verdicts = (
    variable: string,
    values: readonly unknown[],
    moduleName: string,
    moduleRequired: Record<string, unknown>,
  ) => {
    if (!bin) throw new Error("unreachable: skipped without terraform");
    const root = terraformVerdicts(
      readFileSync(join(terraformDir, "variables.tf"), "utf8"),
      values.map((value) => ({ ...dev, [variable]: value })),
      bin,
    );
    const inModule = terraformVerdicts(
      moduleVariables(moduleName),
      values.map((value) => ({ ...moduleRequired, [variable]: value })),
      bin,
    );
    return values.map((value, n) => ({ value, root: root[n]?.accepted, module: inModule[n]?.accepted }));
  };

  // Without a terraform binary these show as skipped in the report instead of passing silently.
  it.skipIf(!bin)(
    "schedule_expression: modules/schedule refuses rate(1 minutes), rate(0 minutes), 5-field cron, as the root does",
    () => {
      const refused = ["rate(1 minutes)", "rate(0 minutes)", "cron(0 * * * *)"];
      const accepted = ["rate(1 minute)", "rate(5 minutes)", "cron(0 * * * ? *)"];
      const found = verdicts("schedule_expression", [...refused, ...accepted], "schedule", {
        name: "fanout-consumer",
        target_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:fanout-consumer",
      });
      expect(found).toEqual([
        ...refused.map((value) => ({ value, root: false, module: false })),
        ...accepted.map((value) => ({ value, root: true, module: true })),
      ]);
    },
    // A dozen terraform plans in a row on a loaded 2-core machine. A hang guard, not a bound.
    300_000,
  );

  it.skipIf(!bin)(
    "log_retention_days: modules/function refuses 0, 2 (not a CloudWatch value) and 1.5, as the root does",
    () => {
      const refused = [0, 2, 1.5];
      const accepted = [14];
      const found = verdicts("log_retention_days", [...refused, ...accepted], "function", {
        function_name: "fanout-main",
        zip_path: "main.zip",
        handler: "index.handler",
        runtime: "nodejs24.x",
        memory_mb: 256,
        timeout_seconds: 60,
      });
      expect(found).toEqual([
        ...refused.map((value) => ({ value, root: false, module: false })),
        ...accepted.map((value) => ({ value, root: true, module: true })),
      ]);
    },
    300_000,
  );

  it.skipIf(!bin)(
    "input.expire_days: modules/input refuses 0, 3651 and 1.5, as the root does",
    () => {
      const refused = [0, 3651, 1.5];
      const accepted = [1, 7, 3650];
      const root = terraformVerdicts(
        readFileSync(join(terraformDir, "variables.tf"), "utf8"),
        [...refused, ...accepted].map((days) => ({ ...dev, input: { expire_days: days } })),
        bin as string,
      );
      const inModule = terraformVerdicts(
        moduleVariables("input"),
        [...refused, ...accepted].map((days) => ({ name_prefix: "fanout", expire_days: days })),
        bin as string,
      );
      expect(
        [...refused, ...accepted].map((value, n) => ({
          value,
          root: root[n]?.accepted,
          module: inModule[n]?.accepted,
        })),
      ).toEqual([
        ...refused.map((value) => ({ value, root: false, module: false })),
        ...accepted.map((value) => ({ value, root: true, module: true })),
      ]);
    },
    // A dozen terraform plans in a row on a loaded 2-core machine. A hang guard, not a bound.
    300_000,
  );
});
