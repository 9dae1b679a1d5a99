import { relative } from "node:path";
import { type Finding, finding } from "./findings.ts";
import type { Block, Named, Stack, TfModule } from "./hcl.ts";
import { type OutlineItem, outline } from "./provider-schema/outline.ts";
import {
  loadProviderSchema,
  type ProviderSchema,
  type SchemaBlock,
  type SchemaNestedBlock,
  type SchemaType,
} from "./provider-schema/schema.ts";
import { repoRoot } from "./workspace.ts";

const CHECK = "provider schema";

/** Arguments Terraform itself reads on every resource / data block (not the provider's). */
const resourceMeta = new Set([
  "count",
  "for_each",
  "provider",
  "depends_on",
  "lifecycle",
  "provisioner",
  "connection",
]);
const dataMeta = new Set(["count", "for_each", "provider", "depends_on", "lifecycle"]);

/** How many blocks and arguments of the stack were held to the schema. */
export interface SchemaCoverage {
  resources: number;
  dataSources: number;
  nestedBlocks: number;
  arguments: number;
  /** Arguments whose value is a literal, so its type was checked. */
  literals: number;
}

export interface SchemaResult {
  findings: Finding[];
  coverage: SchemaCoverage;
}

/** One step into a block: the n-th `name` block, or the n-th `dynamic "name"` block's content. */
interface Step {
  name: string;
  index: number;
  dynamic: boolean;
}

const isObject = (v: unknown): v is Block => typeof v === "object" && v !== null && !Array.isArray(v);
const blockList = (v: unknown): v is Block[] => Array.isArray(v) && v.length > 0 && v.every(isObject);
const isExpression = (v: unknown) => typeof v === "string" && /\$\{|%\{/.test(v);

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + cost));
    }
    row = next;
  }
  return row[b.length] as number;
}

function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function describe(type: SchemaType): string {
  if (typeof type === "string") return type;
  if ("list" in type) return `list of ${describe(type.list)}`;
  if ("map" in type) return `map of ${describe(type.map)}`;
  return "object";
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isObject(value)) return "an object";
  return JSON.stringify(value);
}

/**
 * Why a literal value does not fit the type, or undefined when it fits (or is an expression, which is not
 * evaluated). Follows Terraform's conversions: "256" is a number, "true" a bool, a number or bool a string.
 */
export function literalProblem(value: unknown, type: SchemaType): string | undefined {
  if (value === null || value === undefined || isExpression(value) || type === "any") return undefined;
  const wrong = `${kindOf(value)} is not a ${describe(type)}`;
  if (type === "string") return Array.isArray(value) || isObject(value) ? wrong : undefined;
  if (type === "number") {
    if (typeof value === "number") return undefined;
    return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))
      ? undefined
      : wrong;
  }
  if (type === "bool") {
    return typeof value === "boolean" || value === "true" || value === "false" ? undefined : wrong;
  }
  if ("list" in type) {
    if (!Array.isArray(value)) return wrong;
    for (const [n, element] of value.entries()) {
      const problem = literalProblem(element, type.list);
      if (problem) return `element ${n}: ${problem}`;
    }
    return undefined;
  }
  if (!isObject(value)) return wrong;
  if ("map" in type) {
    for (const [key, element] of Object.entries(value)) {
      const problem = literalProblem(element, type.map);
      if (problem) return `key ${key}: ${problem}`;
    }
    return undefined;
  }
  for (const [key, element] of Object.entries(value)) {
    const attribute = type.object[key];
    if (!attribute) return `${key} is not an attribute of the object`;
    const problem = literalProblem(element, attribute.type);
    if (problem) return `${key}: ${problem}`;
  }
  const missing = Object.entries(type.object).find(([key, a]) => a.required && !(key in value));
  return missing ? `the object lacks its required attribute ${missing[0]}` : undefined;
}

/** Where else in a type's schema a name is a nested block or argument, as dotted paths. */
function elsewhere(schema: SchemaBlock, name: string, prefix: string[] = []): string[] {
  const found: string[] = [];
  for (const [blockName, nested] of Object.entries(schema.blocks ?? {})) {
    const path = [...prefix, blockName];
    if (name in nested.attributes || name in (nested.blocks ?? {})) found.push(path.join("."));
    found.push(...elsewhere(nested, name, path));
  }
  return found;
}

/** Finds the file and line of a block (and optionally one of its arguments/blocks) in a module's files. */
class Locator {
  private readonly outlines = new Map<string, OutlineItem[]>();
  private readonly mod: TfModule;

  constructor(mod: TfModule) {
    this.mod = mod;
  }

  private outlineOf(path: string, source: string): OutlineItem[] {
    let items = this.outlines.get(path);
    if (!items) {
      items = outline(source);
      this.outlines.set(path, items);
    }
    return items;
  }

  /**
   * The item at `steps` (then `leaf`, when given) under the `keyword "type" "name"` block. Later files win,
   * as override files do; falls back to the enclosing block's line.
   */
  find(
    keyword: string,
    r: Named,
    steps: Step[],
    leaf?: string,
  ): { path: string; item: OutlineItem } | undefined {
    let fallback: { path: string; item: OutlineItem } | undefined;
    for (const file of [...this.mod.files].reverse()) {
      const header = this.outlineOf(file.path, file.source).find(
        (i) => i.kind === "block" && i.name === keyword && i.labels[0] === r.type && i.labels[1] === r.name,
      );
      if (!header) continue;
      let item: OutlineItem | undefined = header;
      let reached: OutlineItem = header;
      for (const step of steps) {
        item = step.dynamic
          ? item?.children
              .filter((c) => c.kind === "dynamic" && c.name === step.name)
              [step.index]?.children.find((c) => c.kind === "block" && c.name === "content")
          : item?.children.filter((c) => c.kind === "block" && c.name === step.name)[step.index];
        if (item) reached = item;
      }
      const target = item && leaf !== undefined ? item.children.find((c) => c.name === leaf) : item;
      if (target) return { path: file.path, item: target };
      fallback ??= { path: file.path, item: reached };
    }
    return fallback;
  }
}

class SchemaChecker {
  readonly findings: Finding[] = [];
  readonly coverage: SchemaCoverage = {
    resources: 0,
    dataSources: 0,
    nestedBlocks: 0,
    arguments: 0,
    literals: 0,
  };
  private readonly schema: ProviderSchema;

  constructor(schema: ProviderSchema) {
    this.schema = schema;
  }

  checkModule(mod: TfModule): void {
    const locator = new Locator(mod);
    for (const [keyword, blocks] of [
      ["resource", mod.resources],
      ["data", mod.data],
    ] as const) {
      for (const r of blocks) this.checkTopBlock(mod, locator, keyword, r);
    }
  }

  private checkTopBlock(mod: TfModule, locator: Locator, keyword: "resource" | "data", r: Named): void {
    const isData = keyword === "data";
    const address = `${isData ? "data." : ""}${r.type}.${r.name}`;
    const report = (steps: Step[], leaf: string | undefined, message: string) => {
      const at = locator.find(keyword, r, steps, leaf);
      const where = at ? `${relative(repoRoot, at.path)}:${at.item.line}` : mod.dir || "root";
      const path = [...steps.map((s) => s.name), ...(leaf === undefined ? [] : [leaf])].join(".");
      this.findings.push(finding(CHECK, where, `${address}${path ? ` ${path}` : ""}: ${message}`));
    };
    const schema = (isData ? this.schema.dataSources : this.schema.resources)[r.type];
    const known = isData ? this.schema.dataSourceTypeNames : this.schema.resourceTypeNames;
    if (!schema) {
      if (known.includes(r.type)) {
        report(
          [],
          undefined,
          `${r.type} is in hashicorp/aws ${this.schema.version} but not in the committed schema: regenerate it (packages/infra-check/README.md)`,
        );
      } else {
        const guess = nearest(r.type, known);
        report(
          [],
          undefined,
          `hashicorp/aws ${this.schema.version} has no ${keyword} type ${r.type}${guess ? `; did you mean ${guess}?` : ""}`,
        );
      }
      return;
    }
    if (isData) this.coverage.dataSources++;
    else this.coverage.resources++;
    const textKind = (steps: Step[], leaf: string) => locator.find(keyword, r, steps, leaf)?.item;
    this.checkBody(r.body, schema, [], isData ? dataMeta : resourceMeta, r.type, report, textKind);
  }

  private checkBody(
    body: Block,
    schema: SchemaBlock,
    steps: Step[],
    meta: Set<string>,
    typeName: string,
    report: (steps: Step[], leaf: string | undefined, message: string) => void,
    textAt: (steps: Step[], leaf: string) => OutlineItem | undefined,
  ): void {
    const present = new Set<string>();
    const here = steps.length === 0 ? typeName : steps.map((s) => s.name).join(".");
    const blocks = schema.blocks ?? {};
    const unknown = (name: string, asBlock: boolean) => {
      if (steps.length === 0 && schema.computed?.includes(name)) {
        report(steps, name, `${name} is computed by the provider and cannot be set`);
        return;
      }
      const other = elsewhere(rootSchemaOf(this.schema, typeName), name).filter(
        (p) => p !== steps.map((s) => s.name).join("."),
      );
      const guess = nearest(name, [
        ...Object.keys(schema.attributes),
        ...Object.keys(blocks),
        ...(steps.length === 0 ? meta : []),
      ]);
      const what = asBlock ? "block" : "argument";
      if (other.length > 0 && !guess) {
        report(steps, name, `no ${what} ${name} in ${here}: the schema has it inside ${other.join(", ")}`);
      } else {
        report(steps, name, `${here} has no ${what} ${name}${guess ? `; did you mean ${guess}?` : ""}`);
      }
    };

    const visitBlocks = (name: string, nested: SchemaNestedBlock, instances: Block[], dynamic: boolean) => {
      for (const [index, instance] of instances.entries()) {
        this.coverage.nestedBlocks++;
        this.checkBody(
          instance,
          nested,
          [...steps, { name, index, dynamic }],
          new Set(),
          typeName,
          report,
          textAt,
        );
      }
    };

    for (const [key, value] of Object.entries(body)) {
      if (steps.length === 0 && meta.has(key)) continue;
      if (key === "dynamic" && isObject(value)) {
        for (const [name, generators] of Object.entries(value)) {
          present.add(name);
          const nested = blocks[name];
          if (!nested) {
            if (name in schema.attributes) {
              report(
                steps,
                name,
                `dynamic "${name}" generates blocks, but ${name} is an argument: write ${name} = ...`,
              );
            } else unknown(name, true);
            continue;
          }
          const contents = (Array.isArray(generators) ? generators : []).map((g) =>
            isObject(g) && blockList(g.content) ? (g.content[0] as Block) : {},
          );
          visitBlocks(name, nested, contents, true);
        }
        continue;
      }
      present.add(key);
      const attribute = schema.attributes[key];
      if (attribute) {
        this.coverage.arguments++;
        const written = blockList(value) ? textAt(steps, key)?.kind : "argument";
        if (written === "block" || written === "dynamic") {
          report(
            steps,
            key,
            `${key} is an argument (${describe(attribute.type)}), not a block: write ${key} = ...`,
          );
          continue;
        }
        if (!isExpression(value) && value !== null) this.coverage.literals++;
        const problem = literalProblem(value, attribute.type);
        if (problem) report(steps, key, `${problem} (${key} is a ${describe(attribute.type)})`);
        continue;
      }
      const nested = blocks[key];
      if (nested) {
        if (!blockList(value) || textAt(steps, key)?.kind === "argument") {
          report(steps, key, `${key} is a block, not an argument: write ${key} { ... }`);
          continue;
        }
        if (nested.nesting === "single" && value.length > 1) {
          report(steps, key, `${here} takes at most one ${key} block, found ${value.length}`);
        }
        visitBlocks(key, nested, value, false);
        continue;
      }
      unknown(key, blockList(value));
    }

    for (const [name, attribute] of Object.entries(schema.attributes)) {
      if (attribute.required && !present.has(name))
        report(steps, undefined, `missing required argument ${name}`);
    }
    for (const [name, nested] of Object.entries(blocks)) {
      if (nested.required && !present.has(name)) report(steps, undefined, `missing required block ${name}`);
    }
  }
}

function rootSchemaOf(schema: ProviderSchema, typeName: string): SchemaBlock {
  return schema.resources[typeName] ?? schema.dataSources[typeName] ?? { attributes: {} };
}

/**
 * Every `resource` and `data` block of the stack (root and modules) against the hashicorp/aws schema
 * committed in src/provider-schema/: known type, known arguments and blocks at the right depth, required
 * ones present, literal values of the right type. Expressions are not evaluated.
 */
export function checkProviderSchemaWithCoverage(stack: Stack, schema = loadProviderSchema()): SchemaResult {
  const checker = new SchemaChecker(schema);
  for (const mod of stack.modules.values()) checker.checkModule(mod);
  return { findings: [...checkProviderPin(stack, schema), ...checker.findings], coverage: checker.coverage };
}

const compare = (a: number[], b: number[]) => {
  for (let n = 0; n < Math.max(a.length, b.length); n++) {
    const d = (a[n] ?? 0) - (b[n] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
};

/** Whether a Terraform version constraint (`= 6.66.0`, `>= 6.0, < 7`, `~> 6.66`) admits a version. */
export function admits(constraint: string, version: string): boolean {
  const v = version.split(".").map(Number);
  return constraint.split(",").every((part) => {
    const m = /^\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+(?:\.\d+)*)\s*$/.exec(part);
    if (!m) return false;
    const c = (m[2] as string).split(".").map(Number);
    const order = compare(v, c);
    switch (m[1] ?? "=") {
      case "=":
        return order === 0;
      case "!=":
        return order !== 0;
      case ">=":
        return order >= 0;
      case ">":
        return order > 0;
      case "<=":
        return order <= 0;
      case "<":
        return order < 0;
      default: {
        // ~> 6.66.0 allows 6.66.x; ~> 6.66 allows 6.x from 6.66 on.
        const fixed = c.slice(0, Math.max(1, c.length - 1));
        return order >= 0 && compare(v.slice(0, fixed.length), fixed) === 0;
      }
    }
  });
}

/**
 * The schema describes the provider the stack runs with: the root pins hashicorp/aws to exactly the schema's
 * version, and every module's constraint admits it.
 */
function checkProviderPin(stack: Stack, schema: ProviderSchema): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values()) {
    const where = `terraform/${mod.dir ? `${mod.dir}/` : ""}versions.tf`;
    const constraints = mod.terraform
      .flatMap((t) => (Array.isArray(t.required_providers) ? t.required_providers : []))
      .map((p) => (isObject(p) && isObject(p.aws) ? p.aws.version : undefined))
      .filter((v) => v !== undefined);
    if (constraints.length === 0) {
      out.push(finding(CHECK, where, "required_providers sets no hashicorp/aws version"));
      continue;
    }
    for (const constraint of constraints) {
      const text = String(constraint);
      const exact = /^\s*=?\s*\d+\.\d+\.\d+\s*$/.test(text);
      if (mod.dir === "" && !(exact && admits(text, schema.version))) {
        out.push(
          finding(
            CHECK,
            where,
            `the root pins hashicorp/aws "${text}"; the committed schema is ${schema.version}: pin "= ${schema.version}" or regenerate the schema`,
          ),
        );
      } else if (!admits(text, schema.version)) {
        out.push(
          finding(
            CHECK,
            where,
            `hashicorp/aws "${text}" does not admit ${schema.version}, the version of the committed schema`,
          ),
        );
      }
    }
  }
  return out;
}

export function checkProviderSchema(stack: Stack, schema = loadProviderSchema()): Finding[] {
  return checkProviderSchemaWithCoverage(stack, schema).findings;
}
