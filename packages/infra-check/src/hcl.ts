import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parse } from "@cdktf/hcl2json";

/** A block as @cdktf/hcl2json gives it: attributes, nested blocks as arrays, expressions as "${...}". */
export type Block = Record<string, unknown>;

export interface TfFile {
  path: string;
  source: string;
}

export interface Named {
  type: string;
  name: string;
  body: Block;
}

/** One Terraform module (a directory of .tf files) with override files merged in as Terraform does. */
export interface TfModule {
  /** Directory relative to the stack root ("" for the root module, "modules/queue", ...). */
  dir: string;
  absDir: string;
  files: TfFile[];
  variables: Map<string, Block>;
  outputs: Map<string, Block>;
  moduleCalls: Map<string, Block>;
  resources: Named[];
  data: Named[];
  providers: Named[];
  locals: Block;
  terraform: Block[];
}

export interface Stack {
  /** Absolute path of the Terraform root (terraform/). */
  rootDir: string;
  root: TfModule;
  /** Every module, root included, by directory relative to the root. */
  modules: Map<string, TfModule>;
}

/** An extra file (typically a broken fixture) to put in a module directory before parsing. */
export interface ExtraFile {
  /** Directory relative to the stack root: "" or "modules/queue". */
  dir: string;
  name: string;
  source: string;
}

const isOverride = (name: string) => name === "override.tf" || name.endsWith("_override.tf");

function blocksOf(value: unknown): Block[] {
  return Array.isArray(value) ? (value as Block[]) : [];
}

/**
 * Parses every `.tf` file of one directory. Files named `override.tf` / `*_override.tf` are merged last,
 * attribute by attribute, over the block of the same kind and name, as Terraform does.
 */
export async function loadModule(absDir: string, dir: string, extra: ExtraFile[] = []): Promise<TfModule> {
  const onDisk = readdirSync(absDir)
    .filter((name) => name.endsWith(".tf"))
    .map((name) => ({ name, source: readFileSync(join(absDir, name), "utf8") }));
  const all = [
    ...onDisk,
    ...extra.filter((e) => e.dir === dir).map((e) => ({ name: e.name, source: e.source })),
  ];
  all.sort((a, b) => Number(isOverride(a.name)) - Number(isOverride(b.name)) || a.name.localeCompare(b.name));

  const mod: TfModule = {
    dir,
    absDir,
    files: [],
    variables: new Map(),
    outputs: new Map(),
    moduleCalls: new Map(),
    resources: [],
    data: [],
    providers: [],
    locals: {},
    terraform: [],
  };
  for (const file of all) {
    const path = join(absDir, file.name);
    mod.files.push({ path, source: file.source });
    const json = (await parse(path, file.source)) as Record<string, unknown>;
    const merge = isOverride(file.name);
    mergeNamed(mod.variables, json.variable, merge);
    mergeNamed(mod.outputs, json.output, merge);
    mergeNamed(mod.moduleCalls, json.module, merge);
    mergeTyped(mod.resources, json.resource, merge);
    mergeTyped(mod.data, json.data, merge);
    for (const [name, bodies] of Object.entries((json.provider as Record<string, unknown>) ?? {})) {
      for (const body of blocksOf(bodies)) {
        const existing = mod.providers.find((p) => p.name === name);
        if (merge && existing) Object.assign(existing.body, body);
        else mod.providers.push({ type: "provider", name, body: { ...body } });
      }
    }
    for (const locals of blocksOf(json.locals)) Object.assign(mod.locals, locals);
    mod.terraform.push(...blocksOf(json.terraform));
  }
  return mod;
}

function mergeNamed(into: Map<string, Block>, section: unknown, override: boolean): void {
  for (const [name, bodies] of Object.entries((section as Record<string, unknown>) ?? {})) {
    for (const body of blocksOf(bodies)) {
      const existing = into.get(name);
      if (override && existing) Object.assign(existing, body);
      else into.set(name, { ...body });
    }
  }
}

function mergeTyped(into: Named[], section: unknown, override: boolean): void {
  for (const [type, byName] of Object.entries((section as Record<string, unknown>) ?? {})) {
    for (const [name, bodies] of Object.entries((byName as Record<string, unknown>) ?? {})) {
      for (const body of blocksOf(bodies)) {
        const existing = into.find((n) => n.type === type && n.name === name);
        if (override && existing) Object.assign(existing.body, body);
        else into.push({ type, name, body: { ...body } });
      }
    }
  }
}

/** Loads the root module and every local module it calls, recursively. */
export async function loadStack(rootDir: string, extra: ExtraFile[] = []): Promise<Stack> {
  const absRoot = resolve(rootDir);
  const modules = new Map<string, TfModule>();
  const visit = async (absDir: string): Promise<TfModule> => {
    const dir = relative(absRoot, absDir);
    const known = modules.get(dir);
    if (known) return known;
    const mod = await loadModule(absDir, dir, extra);
    modules.set(dir, mod);
    for (const call of mod.moduleCalls.values()) {
      const source = call.source;
      if (typeof source === "string" && (source.startsWith("./") || source.startsWith("../"))) {
        await visit(resolve(absDir, source));
      }
    }
    return mod;
  };
  const root = await visit(absRoot);
  return { rootDir: absRoot, root, modules };
}

/** The module a call's `source` points at, when it is local. */
export function calledModule(stack: Stack, from: TfModule, call: Block): TfModule | undefined {
  if (typeof call.source !== "string") return undefined;
  return stack.modules.get(relative(stack.rootDir, resolve(from.absDir, call.source)));
}

/** Whether a value (attribute, block, list) mentions a reference such as `var.tags` or `module.queue.tasks_queue_arn`. */
export function mentions(value: unknown, reference: string): boolean {
  const escaped = reference.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w.])${escaped}(?![\\w])`).test(JSON.stringify(value) ?? "");
}

/** A Terraform interpolation as hcl2json writes it: expr("var.x") is "$" + "{var.x}". */
export const expr = (inner: string): string => `\${${inner}}`;

/** The text of an expression without its `${ }` wrapper; literals as JSON. */
export function expressionText(value: unknown): string {
  if (typeof value === "string") {
    const whole = /^\$\{([\s\S]*)\}$/.exec(value);
    return whole?.[1]?.trim() ?? value;
  }
  return JSON.stringify(value) ?? "";
}

/** True when an attribute is absent or set to `null`. */
export function isUnset(value: unknown): boolean {
  return (
    value === undefined || value === null || (typeof value === "string" && /^\$\{\s*null\s*\}$/.test(value))
  );
}

/** Nested blocks of a block (`statement`, `principals`, ...), absent as []. */
export function nested(body: Block, name: string): Block[] {
  return blocksOf(body[name]);
}

export function fileName(path: string): string {
  return basename(path);
}
