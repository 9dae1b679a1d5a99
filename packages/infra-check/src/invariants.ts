import { readFileSync } from "node:fs";
import { join } from "node:path";
import { settingsSchema } from "@fanout/tooling";
import { type Finding, finding } from "./findings.ts";
import { mentions, type Stack } from "./hcl.ts";
import { repoRoot } from "./workspace.ts";

type Values = Record<string, Record<string, unknown>> & { functions: Record<string, Record<string, number>> };
const num = (v: unknown) => v as number;

/**
 * The cross-setting invariants of `settingsSchema` (its superRefine in packages/tooling/src/settings.ts):
 * the setting an invariant is reported on, the settings it compares, and a change that breaks it.
 */
export interface Invariant {
  path: [string, string];
  references: string[];
  violate: (values: Values) => void;
}

export const invariants: Invariant[] = [
  {
    path: ["queue", "visibility_timeout_seconds"],
    references: ["var.queue.visibility_timeout_seconds", "var.functions.consumer.timeout_seconds"],
    violate: (v) => {
      v.queue = { ...v.queue, visibility_timeout_seconds: num(v.functions.consumer?.timeout_seconds) - 1 };
    },
  },
  {
    path: ["dedup", "claim_lease_seconds"],
    references: ["var.dedup.claim_lease_seconds", "var.queue.visibility_timeout_seconds"],
    violate: (v) => {
      v.queue = { ...v.queue, visibility_timeout_seconds: 200 };
      v.dedup = { ...v.dedup, claim_lease_seconds: 201 };
    },
  },
  {
    path: ["dedup", "ttl_seconds"],
    references: [
      "var.dedup.ttl_seconds",
      "var.queue.message_retention_seconds",
      "var.worker_async.maximum_event_age_seconds",
    ],
    violate: (v) => {
      v.dedup = {
        ...v.dedup,
        ttl_seconds: num(v.queue?.message_retention_seconds) + num(v.worker_async?.maximum_event_age_seconds),
      };
    },
  },
  {
    path: ["consumer", "safety_margin_ms"],
    references: ["var.consumer.safety_margin_ms", "var.functions.consumer.timeout_seconds"],
    violate: (v) => {
      v.consumer = { ...v.consumer, safety_margin_ms: num(v.functions.consumer?.timeout_seconds) * 1000 };
    },
  },
  {
    path: ["alarms", "consumer_duration_ratio"],
    references: [
      "var.alarms.consumer_duration_ratio",
      "var.functions.consumer.timeout_seconds",
      "var.consumer.safety_margin_ms",
    ],
    violate: (v) => {
      // A 5 s margin of a 60 s timeout: the consumer's own budget ends at 55 s, so 0.9 (54 s) is below it.
      v.functions = { ...v.functions, consumer: { ...v.functions.consumer, timeout_seconds: 60 } };
      v.consumer = { ...v.consumer, safety_margin_ms: 5_000 };
      v.alarms = { ...v.alarms, consumer_duration_ratio: 0.9 };
    },
  },
];

/** Counts the invariants settings.ts reports (its `ctx.addIssue(` calls). */
export function countSchemaInvariants(
  source = readFileSync(join(repoRoot, "packages/tooling/src/settings.ts"), "utf8"),
): number {
  return source.match(/ctx\.addIssue\(/g)?.length ?? 0;
}

/**
 * Each invariant of the settings schema is a validation block on the root variable it is reported on,
 * comparing the same settings; and this list knows every invariant the schema has.
 */
export function checkInvariantsMirrored(
  stack: Stack,
  base: Record<string, unknown>,
  schemaInvariants = countSchemaInvariants(),
): Finding[] {
  const out: Finding[] = [];
  if (schemaInvariants !== invariants.length) {
    out.push(
      finding(
        "invariants",
        "packages/tooling/src/settings.ts",
        `has ${schemaInvariants} invariants, infra-check mirrors ${invariants.length}: update invariants.ts and terraform/variables.tf`,
      ),
    );
  }
  for (const inv of invariants) {
    const name = inv.path.join(".");
    const values = structuredClone(base) as Values;
    inv.violate(values);
    const parsed = settingsSchema.safeParse(values);
    const reported =
      !parsed.success && parsed.error.issues.some((i) => i.code === "custom" && i.path.join(".") === name);
    if (!reported)
      out.push(
        finding("invariants", "invariants.ts", `breaking ${name} no longer fails the settings schema`),
      );
    const variable = stack.root.variables.get(inv.path[0]);
    const validations = Array.isArray(variable?.validation)
      ? (variable.validation as Array<Record<string, unknown>>)
      : [];
    const mirrored = validations.some((v) => inv.references.every((r) => mentions(v.condition, r)));
    if (!mirrored) {
      out.push(
        finding(
          "invariants",
          "root",
          `variable "${inv.path[0]}" has no validation comparing ${inv.references.join(", ")}`,
        ),
      );
    }
  }
  return out;
}
