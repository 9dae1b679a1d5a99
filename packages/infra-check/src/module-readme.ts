import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { z } from "zod";
import { type Finding, finding } from "./findings.ts";
import { type Block, calledModule, expressionText, type Stack, type TfModule } from "./hcl.ts";
import { checkModuleCalls } from "./module-calls.ts";

/**
 * A module's README.md, with its `## Usage` example parsed: the module blocks of the first ```hcl block,
 * the parser's error when it does not parse, or undefined when there is none.
 */
export interface ModuleReadme {
  /** Module directory relative to the stack root ("" for the root module). */
  dir: string;
  /** Where findings say the README is: terraform/<dir>/README.md, or a fixture's path. */
  path: string;
  markdown: string;
  usage: Map<string, Block> | string | undefined;
  /** The text of the Usage example ("" without one). */
  usageSource: string;
}

interface Section {
  heading: string;
  lines: string[];
}

/** The `## ` sections of a markdown file, in order; headings inside code fences do not count. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^## (.+?)\s*$/.exec(line);
    if (heading?.[1]) out.push({ heading: heading[1], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const section = (markdown: string, heading: string) => sections(markdown).find((s) => s.heading === heading);

/** Parses the README's `## Usage` example with the same HCL parser as the stack. */
export async function parseModuleReadme(
  dir: string,
  markdown: string,
  path = `terraform/${dir ? `${dir}/` : ""}README.md`,
): Promise<ModuleReadme> {
  const lines = section(markdown, "Usage")?.lines ?? [];
  const start = lines.findIndex((l) => /^```hcl\s*$/.test(l));
  if (start < 0) return { dir, path, markdown, usage: undefined, usageSource: "" };
  const end = lines.findIndex((l, n) => n > start && /^```\s*$/.test(l));
  const source = lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
  try {
    const json = (await parse("README.md", source)) as { module?: Record<string, Block[]> };
    const blocks = Object.entries(json.module ?? {}).flatMap(([name, bodies]) =>
      bodies.map((body) => [name, body] as const),
    );
    return { dir, path, markdown, usage: new Map(blocks), usageSource: source };
  } catch (error) {
    return { dir, path, markdown, usage: String(error).replace(/^Error: /, ""), usageSource: source };
  }
}

/** The README.md of every module of the stack that has one, the root's (terraform/README.md) included. */
export async function readModuleReadmes(stack: Stack): Promise<ModuleReadme[]> {
  const out: ModuleReadme[] = [];
  for (const mod of stack.modules.values()) {
    const path = join(mod.absDir, "README.md");
    if (existsSync(path)) out.push(await parseModuleReadme(mod.dir, readFileSync(path, "utf8")));
  }
  return out;
}

// ---- the tables, as `pnpm --filter @fanout/infra-check readme-tables` writes them (terraform-docs' shape)

export const inputColumns = ["Name", "Description", "Type", "Default", "Required"] as const;
export const outputColumns = ["Name", "Description"] as const;

/** Text in a table cell: `|` escaped, `<` and `>` as entities so GitHub does not take `<prefix>` for a tag. */
const text = (s: string) =>
  s.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, "<br>");
/** Code in a table cell: only `|` needs escaping inside backticks. */
const code = (s: string) => `\`${s.replace(/\|/g, "\\|")}\``;

/** A type constraint on one line: `object({ a = optional(number, 2), b = optional(string) })`. */
function typeText(type: unknown): string {
  const lines = expressionText(type)
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "");
  return lines.reduce((joined, line) => {
    const separator = /[({[]$/.test(joined) || /^[)}\]]/.test(line) ? " " : ", ";
    return `${joined}${separator}${line}`;
  });
}

const description = (body: Block) => text(typeof body.description === "string" ? body.description : "");

/** One row per variable, in declaration order: Name, Description, Type, Default (`n/a`: required), Required. */
export function inputRows(mod: TfModule): string[][] {
  return [...mod.variables].map(([name, body]) => {
    const optional = "default" in body;
    return [
      code(name),
      description(body),
      code(typeText(body.type)),
      optional ? code(JSON.stringify(body.default)) : "n/a",
      optional ? "no" : "yes",
    ];
  });
}

export function outputRows(mod: TfModule): string[][] {
  return [...mod.outputs].map(([name, body]) => [code(name), description(body)]);
}

/** A table as terraform-docs writes one: unpadded cells, Required centred. */
export function markdownTable(columns: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const rule = columns.map((c) =>
    c === "Required" ? `:${"-".repeat(c.length)}:` : "-".repeat(c.length + 2),
  );
  return [line(columns), `|${rule.join("|")}|`, ...rows.map(line)].join("\n");
}

/** The markdown with the first table of section `## <heading>` replaced (or put right under the heading). */
export function replaceTable(markdown: string, heading: string, table: string): string {
  const lines = markdown.split("\n");
  let fenced = false;
  const at = lines.findIndex((l) => {
    if (/^\s*```/.test(l)) fenced = !fenced;
    return !fenced && l.trim() === `## ${heading}`;
  });
  if (at < 0) return markdown;
  let start = at + 1;
  while (start < lines.length && !lines[start]?.startsWith("|") && !lines[start]?.startsWith("#")) start++;
  let end = start;
  while (end < lines.length && lines[end]?.startsWith("|")) end++;
  if (start === end) return [...lines.slice(0, at + 1), "", table, ...lines.slice(at + 1)].join("\n");
  return [...lines.slice(0, start), table, ...lines.slice(end)].join("\n");
}

// ---- the check

/** Splits a table row on unescaped `|`. */
const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||(?<!\\)\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

const nameCell = z.string().regex(/^`[A-Za-z_][\w-]*`$/, "Name must be the name in backticks");
const defaultCell = z
  .string()
  .refine(
    (s) => s === "n/a" || defaultValue(s) !== undefined,
    "Default must be n/a or a JSON value in backticks",
  );
const inputRow = z.tuple([nameCell, z.string(), z.string(), defaultCell, z.enum(["yes", "no"])]);
const outputRow = z.tuple([nameCell, z.string()]);

/** The value of a Default cell as canonical JSON, "n/a" for none, undefined when it is neither. */
function defaultValue(cell: string): string | undefined {
  if (cell === "n/a") return cell;
  const inner = /^`(.*)`$/.exec(cell)?.[1];
  if (inner === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(inner.replace(/\\\|/g, "|")));
  } catch {
    return undefined;
  }
}

interface TableSpec {
  heading: "Inputs" | "Outputs";
  noun: "input" | "output";
  columns: readonly string[];
  row: z.ZodType<string[]>;
  expected: (mod: TfModule) => string[][];
  source: string;
}

const tables: TableSpec[] = [
  {
    heading: "Inputs",
    noun: "input",
    columns: inputColumns,
    row: inputRow,
    expected: inputRows,
    source: "variables.tf",
  },
  {
    heading: "Outputs",
    noun: "output",
    columns: outputColumns,
    row: outputRow,
    expected: outputRows,
    source: "outputs.tf",
  },
];

/** Problems of one table of the README against the module, each a sentence. */
function tableProblems(markdown: string, mod: TfModule, spec: TableSpec): string[] {
  const lines = section(markdown, spec.heading)?.lines.filter((l) => l.startsWith("|"));
  if (!lines) return [`no ## ${spec.heading} section`];
  const [header, , ...body] = lines;
  if (!header || cells(header).join(" | ") !== spec.columns.join(" | ")) {
    return [`the ${spec.heading} table's columns must be | ${spec.columns.join(" | ")} |`];
  }
  const problems: string[] = [];
  const actual = new Map<string, string[]>();
  for (const line of body) {
    const parsed = spec.row.safeParse(cells(line));
    if (parsed.success) actual.set(parsed.data[0]?.slice(1, -1) ?? "", parsed.data);
    else
      problems.push(`${spec.heading} row ${line}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  const expected = new Map(spec.expected(mod).map((row) => [row[0]?.slice(1, -1) ?? "", row]));
  for (const [name, want] of expected) {
    const got = actual.get(name);
    if (!got) {
      problems.push(`${spec.noun} "${name}" is missing from the ${spec.heading} table`);
      continue;
    }
    spec.columns.forEach((column, n) => {
      const [g = "", w = ""] = [got[n], want[n]];
      const same = column === "Default" ? defaultValue(g) === defaultValue(w) : g === w;
      if (!same) problems.push(`${spec.noun} "${name}": ${column} is ${g}, ${spec.source} says ${w}`);
    });
  }
  for (const name of actual.keys()) {
    if (!expected.has(name))
      problems.push(`the ${spec.heading} table lists "${name}", which ${spec.source} does not declare`);
  }
  return problems;
}

/** Problems of the `## Usage` example: it must parse and call this module as module-calls requires. */
function usageProblems(stack: Stack, mod: TfModule, usage: ModuleReadme["usage"]): string[] {
  if (usage === undefined) return ["no ## Usage section with an ```hcl example"];
  if (typeof usage === "string") return [`the ## Usage example does not parse: ${usage}`];
  if (usage.size === 0) return ["the ## Usage example has no module block"];
  const problems: string[] = [];
  for (const [name, call] of usage) {
    if (calledModule(stack, stack.root, call) !== mod) {
      problems.push(`## Usage: module "${name}": source must be "./${mod.dir}" (as called from terraform/)`);
      continue;
    }
    // The example as a call from the root: module-calls' own rules (declared variables, required ones).
    const caller: TfModule = { ...stack.root, dir: "README", moduleCalls: new Map([[name, call]]) };
    const modules = new Map([
      [caller.dir, caller],
      [mod.dir, { ...mod, moduleCalls: new Map() }],
    ]);
    for (const f of checkModuleCalls({ rootDir: stack.rootDir, root: caller, modules })) {
      problems.push(`## Usage: module "${name}" ${f.message}`);
    }
  }
  return problems;
}

/**
 * Each module README opens (after its title and description) with `## Usage`, `## Inputs` and
 * `## Outputs`; the example calls the module with declared variables and every required one; the tables
 * list exactly the module's variables and outputs with the Description, Type, Default and Required
 * variables.tf and outputs.tf give. The root README has no Usage section but the same two tables.
 */
export function checkModuleReadmes(stack: Stack, readmes: readonly ModuleReadme[]): Finding[] {
  const out: Finding[] = [];
  for (const readme of readmes) {
    const mod = stack.modules.get(readme.dir);
    if (!mod) continue;
    const where = readme.path;
    const problems = tables.flatMap((spec) => tableProblems(readme.markdown, mod, spec));
    if (mod !== stack.root) {
      const headings = sections(readme.markdown)
        .slice(0, 3)
        .map((s) => s.heading);
      if (headings.join(",") !== "Usage,Inputs,Outputs")
        problems.unshift(
          `its first sections must be Usage, Inputs, Outputs; they are ${headings.join(", ")}`,
        );
      problems.unshift(...usageProblems(stack, mod, readme.usage));
    }
    out.push(...problems.map((p) => finding("module-readme", where, p)));
  }
  return out;
}
