#!/usr/bin/env node
// Regenerates src/provider-schema/aws-<version>.json from the @cdktn/provider-aws npm tarball, offline once the
// tarball is on disk:
//
//   npm pack @cdktn/provider-aws@25.7.0 --pack-destination /tmp
//   pnpm --filter @fanout/infra-check provider-schema /tmp/cdktn-provider-aws-25.7.0.tgz
//
// The tarball's `.jsii` manifest (153 MB of JSON) is streamed: gunzip, then a minimal tar reader, then a JSON
// scanner that hands over one type at a time, so only the reduced structs stay in memory.
import { createReadStream, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { z } from "zod";
import { loadStack } from "../hcl.ts";
import { repoRoot } from "../workspace.ts";
import type { SchemaAttribute, SchemaBlock, SchemaNestedBlock, SchemaType } from "./schema.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** Calls `onEntry` with each regular file's name, and `onData` with its bytes, chunk by chunk. */
export class TarReader {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private padding = 0;
  private name = "";
  private paxPath: string | undefined;
  private pax: Buffer[] | undefined;
  private readonly onEntry: (name: string) => boolean;
  private readonly onData: (chunk: Buffer) => void;
  private wanted = false;

  /** `onEntry` returns whether the entry's bytes are wanted. */
  constructor(onEntry: (name: string) => boolean, onData: (chunk: Buffer) => void) {
    this.onEntry = onEntry;
    this.onData = onData;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        const part = chunk.subarray(at, at + take);
        if (this.pax) this.pax.push(part);
        else if (this.wanted) this.onData(part);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0 && this.pax) this.endPax();
        continue;
      }
      if (this.padding > 0) {
        const skip = Math.min(this.padding, chunk.length - at);
        this.padding -= skip;
        at += skip;
        continue;
      }
      const take = Math.min(512 - this.header.length, chunk.length - at);
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.header.length === 512) {
        this.startEntry(this.header);
        this.header = Buffer.alloc(0);
      }
    }
  }

  private startEntry(h: Buffer): void {
    if (h.every((b) => b === 0)) return;
    const text = (from: number, length: number) =>
      h.toString("latin1", from, from + length).replace(/\0[\s\S]*$/, "");
    const size = Number.parseInt(text(124, 12).trim() || "0", 8);
    const type = text(156, 1);
    const prefix = text(345, 155);
    this.name = this.paxPath ?? (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
    this.paxPath = undefined;
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    if (type === "x") {
      this.pax = [];
      if (size === 0) this.endPax();
      return;
    }
    this.wanted = (type === "0" || type === "") && this.onEntry(this.name);
  }

  private endPax(): void {
    const records = Buffer.concat(this.pax ?? []).toString("utf8");
    this.pax = undefined;
    const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(records);
    if (path) this.paxPath = path[1];
  }
}

/**
 * Streams a JSON document and calls `onType(key, json)` for each member of the top-level object's `types`
 * member, one at a time. Tracks only nesting depth and string state; never holds the whole document.
 */
export class JsiiTypeScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private key: number[] = [];
  private topKey = "";
  private typeKey = "";
  private capture: Buffer[] | undefined;
  private captureFrom = -1;
  private readonly onType: (key: string, json: string) => void;

  constructor(onType: (key: string, json: string) => void) {
    this.onType = onType;
  }

  write(chunk: Buffer): void {
    if (this.capture) this.captureFrom = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c) this.escape = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.depth === 1) this.topKey = Buffer.from(this.key).toString("utf8");
          else if (this.depth === 2 && this.topKey === "types" && !this.capture) {
            this.typeKey = Buffer.from(this.key).toString("utf8");
          }
        } else if (this.depth <= 2 && !this.capture) this.key.push(c);
        continue;
      }
      if (c === 0x22) {
        this.inString = true;
        this.key = [];
      } else if (c === 0x7b || c === 0x5b) {
        this.depth++;
        if (this.depth === 3 && this.topKey === "types") {
          this.capture = [];
          this.captureFrom = i;
        }
      } else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 2 && this.capture) {
          this.capture.push(chunk.subarray(this.captureFrom, i + 1));
          this.onType(this.typeKey, Buffer.concat(this.capture).toString("utf8"));
          this.capture = undefined;
        }
      }
    }
    if (this.capture) this.capture.push(chunk.subarray(this.captureFrom));
  }
}

// The parts of the jsii type system this reads (untrusted JSON: parsed with zod, unknown keys ignored).
type JsiiTypeRef =
  | { primitive: string }
  | { fqn: string }
  | { collection: { kind: string; elementtype: JsiiTypeRef } }
  | { union: { types: JsiiTypeRef[] } };
const typeRef: z.ZodType<JsiiTypeRef> = z.lazy(() =>
  z.union([
    z.object({ primitive: z.string() }),
    z.object({ fqn: z.string() }),
    z.object({ collection: z.object({ kind: z.string(), elementtype: typeRef }) }),
    z.object({ union: z.object({ types: z.array(typeRef) }) }),
  ]),
);
const docs = z.object({ summary: z.string().optional(), remarks: z.string().optional() }).optional();
const jsiiProperty = z.object({
  name: z.string(),
  optional: z.boolean().optional(),
  immutable: z.boolean().optional(),
  static: z.boolean().optional(),
  type: typeRef,
  docs,
});
const jsiiType = z.object({
  fqn: z.string(),
  kind: z.string(),
  base: z.string().optional(),
  datatype: z.boolean().optional(),
  docs,
  properties: z.array(jsiiProperty).optional(),
  initializer: z
    .object({ parameters: z.array(z.object({ name: z.string(), type: typeRef })).optional() })
    .optional(),
});

/** A property of a jsii config struct, reduced to what the schema needs. */
interface StructProperty {
  name: string;
  required: boolean;
  type: JsiiTypeRef;
  block: boolean;
}
interface TerraformClass {
  tfName: string;
  kind: "resource" | "data";
  config: string;
  /** Read-only getters not in the config: attributes the provider computes and nobody may set. */
  computed: string[];
}

const snake = (camel: string) => camel.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** The Terraform name of a property, from its doc link (`...#memory_size LambdaFunction#memory_size`). */
function terraformName(property: z.infer<typeof jsiiProperty>): string {
  const text = `${property.docs?.summary ?? ""} ${property.docs?.remarks ?? ""}`;
  return /\/docs\/(?:resources|data-sources)\/\w+#(\w+)[ }]/.exec(text)?.[1] ?? snake(property.name);
}

export interface Jsii {
  providerVersion: string;
  classes: TerraformClass[];
  structs: Map<string, StructProperty[]>;
}

/** Reads the resource and data-source classes and every datatype struct from the tarball, streaming. */
export async function readJsii(tarball: string): Promise<Jsii> {
  const classes: TerraformClass[] = [];
  const structs = new Map<string, StructProperty[]>();
  const packageJson: Buffer[] = [];
  const scanner = new JsiiTypeScanner((fqn, json) => {
    if (!fqn.startsWith("@cdktn/provider-aws.")) return;
    const type = jsiiType.parse(JSON.parse(json));
    if (type.kind === "interface" && type.datatype) {
      structs.set(
        type.fqn,
        (type.properties ?? []).map((p) => ({
          name: terraformName(p),
          required: p.optional !== true,
          type: p.type,
          block: / block\.$/.test(p.docs?.summary ?? ""),
        })),
      );
    } else if (
      type.kind === "class" &&
      (type.base === "cdktn.TerraformResource" || type.base === "cdktn.TerraformDataSource")
    ) {
      const link = /\/docs\/(resources|data-sources)\/\w+ (aws_\w+)\}/.exec(type.docs?.summary ?? "");
      const config = type.initializer?.parameters?.find((p) => p.name === "config")?.type;
      if (!link || !config || !("fqn" in config)) return;
      classes.push({
        tfName: link[2] as string,
        kind: link[1] === "resources" ? "resource" : "data",
        config: config.fqn,
        computed: (type.properties ?? [])
          .filter((p) => p.immutable && !p.static && !p.name.endsWith("Input"))
          .map((p) => p.name),
      });
    }
  });
  const tar = new TarReader(
    (name) => {
      current = name;
      return name === "package/.jsii" || name === "package/package.json";
    },
    (chunk) => (current === "package/.jsii" ? scanner.write(chunk) : packageJson.push(chunk)),
  );
  let current = "";
  for await (const chunk of createReadStream(tarball).pipe(createGunzip())) tar.write(chunk as Buffer);
  const pkg = z
    .object({ cdktf: z.object({ provider: z.object({ version: z.string() }) }) })
    .parse(JSON.parse(Buffer.concat(packageJson).toString("utf8")));
  // Each class's computed list held camelCase getter names; keep those the config does not take.
  for (const cls of classes) {
    const configNames = new Set((structs.get(cls.config) ?? []).map((p) => p.name));
    cls.computed = cls.computed.map(snake).filter((name) => !configNames.has(name));
  }
  return { providerVersion: pkg.cdktf.provider.version, classes, structs };
}

function withoutResolvable(ref: JsiiTypeRef): JsiiTypeRef[] {
  if ("union" in ref) return ref.union.types.filter((t) => !("fqn" in t && t.fqn === "cdktn.IResolvable"));
  return "fqn" in ref && ref.fqn === "cdktn.IResolvable" ? [] : [ref];
}

function schemaType(ref: JsiiTypeRef, structs: Map<string, StructProperty[]>): SchemaType {
  const [only, ...more] = withoutResolvable(ref);
  if (!only || more.length > 0) return "any";
  if ("primitive" in only) {
    if (only.primitive === "boolean") return "bool";
    return only.primitive === "string" || only.primitive === "number" ? only.primitive : "any";
  }
  if ("collection" in only) {
    const element = schemaType(only.collection.elementtype, structs);
    return only.collection.kind === "map" ? { map: element } : { list: element };
  }
  if ("fqn" in only) {
    const props = structs.get(only.fqn);
    if (!props) return "any";
    return { object: Object.fromEntries(props.map((p) => [p.name, attribute(p, structs)])) };
  }
  return "any";
}

function attribute(p: StructProperty, structs: Map<string, StructProperty[]>): SchemaAttribute {
  const type = schemaType(p.type, structs);
  return p.required ? { type, required: true } : { type };
}

/** The struct a block property points at, and whether it is one block or a list of them. */
function blockStruct(ref: JsiiTypeRef): { fqn: string; nesting: "single" | "list" } | undefined {
  const [only] = withoutResolvable(ref);
  if (only && "fqn" in only) return { fqn: only.fqn, nesting: "single" };
  if (only && "collection" in only && only.collection.kind === "array") {
    const element = only.collection.elementtype;
    if ("fqn" in element) return { fqn: element.fqn, nesting: "list" };
  }
  return undefined;
}

function block(fqn: string, structs: Map<string, StructProperty[]>): SchemaBlock {
  const attributes: Record<string, SchemaAttribute> = {};
  const blocks: Record<string, SchemaNestedBlock> = {};
  for (const p of structs.get(fqn) ?? []) {
    const nested = p.block ? blockStruct(p.type) : undefined;
    if (nested) {
      blocks[p.name] = {
        nesting: nested.nesting,
        ...(p.required ? { required: true } : {}),
        ...block(nested.fqn, structs),
      };
    } else attributes[p.name] = attribute(p, structs);
  }
  return Object.keys(blocks).length > 0 ? { attributes, blocks } : { attributes };
}

/** The resource and data-source types the stack declares, from its HCL. */
async function typesInStack(): Promise<{ resources: Set<string>; data: Set<string> }> {
  const stack = await loadStack(join(repoRoot, "terraform"));
  const resources = new Set<string>();
  const data = new Set<string>();
  for (const mod of stack.modules.values()) {
    for (const r of mod.resources) resources.add(r.type);
    for (const d of mod.data) data.add(d.type);
  }
  return { resources, data };
}

/**
 * JSON as `biome format` writes it (so `pnpm format` leaves the file alone): two-space indent, objects
 * expanded, an array of primitives on one line when it fits in 110 columns.
 */
export function formatJson(value: unknown, indent = 0, prefix = 0): string {
  const pad = " ".repeat(indent + 2);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => v === null || typeof v !== "object")) {
      const inline = `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
      if (indent + prefix + inline.length + 1 <= 110) return inline;
    }
    return `[\n${value.map((v) => pad + formatJson(v, indent + 2)).join(",\n")}\n${" ".repeat(indent)}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const lines = entries.map(([k, v]) => {
      const key = `${JSON.stringify(k)}: `;
      return pad + key + formatJson(v, indent + 2, key.length);
    });
    return `{\n${lines.join(",\n")}\n${" ".repeat(indent)}}`;
  }
  return JSON.stringify(value);
}

async function main(argv: string[]): Promise<void> {
  const tarball = argv[0];
  if (!tarball) {
    console.error("usage: extract.ts <cdktn-provider-aws-X.Y.Z.tgz>   (npm pack @cdktn/provider-aws@25.7.0)");
    process.exit(2);
  }
  const jsii = await readJsii(tarball);
  const used = await typesInStack();
  const section = (kind: "resource" | "data", names: Set<string>) => {
    const out: Record<string, SchemaBlock> = {};
    for (const cls of jsii.classes.filter((c) => c.kind === kind && names.has(c.tfName))) {
      const b = block(cls.config, jsii.structs);
      out[cls.tfName] = cls.computed.length > 0 ? { ...b, computed: cls.computed.sort() } : b;
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  };
  const names = (kind: "resource" | "data") =>
    jsii.classes
      .filter((c) => c.kind === kind)
      .map((c) => c.tfName)
      .sort();
  const schema = {
    provider: "hashicorp/aws",
    version: jsii.providerVersion,
    source: `@cdktn/provider-aws (${tarball.replace(/^.*\//, "")})`,
    regenerate:
      "pnpm --filter @fanout/infra-check provider-schema <tarball>; see packages/infra-check/README.md",
    resources: section("resource", used.resources),
    dataSources: section("data", used.data),
    resourceTypeNames: names("resource"),
    dataSourceTypeNames: names("data"),
  };
  const out = join(here, `aws-${jsii.providerVersion}.json`);
  writeFileSync(out, `${formatJson(schema)}\n`);
  const missing = [...used.resources, ...used.data].filter(
    (t) => !(t in schema.resources) && !(t in schema.dataSources),
  );
  console.log(
    `${out}: ${Object.keys(schema.resources).length} resource and ${Object.keys(schema.dataSources).length} data-source schemas, ` +
      `${schema.resourceTypeNames.length} + ${schema.dataSourceTypeNames.length} type names` +
      (missing.length > 0 ? `; not in the provider: ${missing.join(", ")}` : ""),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
