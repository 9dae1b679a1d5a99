import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { settingsSchema } from "@fanout/tooling";
import { z } from "zod";
import { type Finding, finding } from "./findings.ts";
import type { Stack } from "./hcl.ts";
import { parseType, type TfType, typeProblems } from "./hcl-types.ts";
import { scheduleExpressionProblem } from "./schedule.ts";

export interface SettingsFile {
  path: string;
  values: Record<string, unknown>;
}

export function readSettingsFiles(dir: string): SettingsFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".tfvars.json"))
    .sort()
    .map((f) => ({
      path: join(dir, f),
      values: JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>,
    }));
}

/**
 * Every key of every settings file is a root variable of the right type (nested keys included); the
 * file passes the settings schema of @fanout/core (which the local stack applies); its visibility timeout
 * covers the consumer timeout and its schedule expression is one AWS accepts.
 */
export function checkSettingsFiles(stack: Stack, files: readonly SettingsFile[]): Finding[] {
  const out: Finding[] = [];
  const defaults = settingsSchema.parse({});
  for (const file of files) {
    const where = file.path.replace(/^.*\/terraform\//, "terraform/");
    for (const [key, value] of Object.entries(file.values)) {
      const variable = stack.root.variables.get(key);
      if (!variable) {
        out.push(finding("settings", where, `"${key}" is not a root variable`));
        continue;
      }
      const type = typeof variable.type === "string" ? parseType(variable.type) : undefined;
      if (type) for (const p of typeProblems(value, type, key)) out.push(finding("settings", where, p));
    }
    const parsed = settingsSchema.safeParse(file.values);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        out.push(finding("settings", where, `${issue.path.join(".")}: ${issue.message}`));
      }
    }
    const v = file.values as {
      queue?: { visibility_timeout_seconds?: number };
      functions?: { consumer?: { timeout_seconds?: number } };
    };
    const visibility = v.queue?.visibility_timeout_seconds ?? defaults.queue.visibility_timeout_seconds;
    const consumerTimeout =
      v.functions?.consumer?.timeout_seconds ?? defaults.functions.consumer.timeout_seconds;
    if (visibility < consumerTimeout) {
      out.push(
        finding(
          "timeouts",
          where,
          `queue visibility timeout ${visibility} s is shorter than the consumer timeout ${consumerTimeout} s`,
        ),
      );
    }
    const expression =
      typeof file.values.schedule_expression === "string"
        ? file.values.schedule_expression
        : defaults.schedule_expression;
    const problem = scheduleExpressionProblem(expression);
    if (problem) out.push(finding("schedule", where, `schedule_expression "${expression}": ${problem}`));
  }
  return out;
}

type JsonSchema = { properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; type?: string };

function schemaKeys(schema: JsonSchema): Map<string, JsonSchema> {
  return new Map(Object.entries(schema.properties ?? {}));
}

/**
 * The root variables are exactly the settings schema's keys, nested objects included, with matching
 * primitive types: the settings file means the same to Terraform and to the local stack.
 */
export function checkVariablesMatchSchema(stack: Stack): Finding[] {
  const out: Finding[] = [];
  const json = z.toJSONSchema(settingsSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const compare = (schema: JsonSchema, type: TfType, path: string) => {
    const kinds = (schema.anyOf ?? [schema]).map((s) => s.type).filter((t) => t !== "null");
    const want = kinds[0] === "integer" ? "number" : kinds[0] === "boolean" ? "bool" : kinds[0];
    if (want === "object" && schema.properties) {
      if (type.kind !== "object")
        return out.push(
          finding("settings", "root", `${path}: schema has an object, variable has ${type.kind}`),
        );
      const keys = schemaKeys(schema);
      for (const [k, sub] of keys) {
        const attr = type.attributes.get(k);
        if (!attr)
          out.push(
            finding("settings", "root", `${path}.${k}: in the settings schema, not in the variable's type`),
          );
        else compare(sub, attr.type, `${path}.${k}`);
      }
      for (const k of type.attributes.keys()) {
        if (!keys.has(k))
          out.push(
            finding("settings", "root", `${path}.${k}: in the variable's type, not in the settings schema`),
          );
      }
    } else if (want === "object") {
      if (type.kind !== "map")
        out.push(finding("settings", "root", `${path}: schema has a record, variable has ${type.kind}`));
    } else if (want !== type.kind) {
      out.push(finding("settings", "root", `${path}: schema type ${want}, variable type ${type.kind}`));
    }
    return out.length;
  };
  const top = schemaKeys(json);
  for (const [key, schema] of top) {
    const variable = stack.root.variables.get(key);
    if (!variable) out.push(finding("settings", "root", `settings key "${key}" is not a root variable`));
    else if (typeof variable.type === "string") compare(schema, parseType(variable.type), key);
  }
  for (const key of stack.root.variables.keys()) {
    if (!top.has(key)) out.push(finding("settings", "root", `root variable "${key}" is not a settings key`));
  }
  return out;
}
