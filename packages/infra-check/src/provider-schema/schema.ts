import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * An attribute's type. jsii does not tell a list from a set (both are arrays), so `list` stands for both;
 * `any` is what the provider leaves dynamic (or jsii could not say).
 */
export type SchemaType =
  | "string"
  | "number"
  | "bool"
  | "any"
  | { list: SchemaType }
  | { map: SchemaType }
  | { object: Record<string, SchemaAttribute> };

export interface SchemaAttribute {
  type: SchemaType;
  required?: true;
}

export interface SchemaBlock {
  attributes: Record<string, SchemaAttribute>;
  blocks?: Record<string, SchemaNestedBlock>;
  /** Attributes the provider computes and a configuration may not set (top level only). */
  computed?: string[];
}

export interface SchemaNestedBlock extends SchemaBlock {
  /** `single`: at most one block (MaxItems 1); `list`: any number (list or set of blocks). */
  nesting: "single" | "list";
  required?: true;
}

export interface ProviderSchema {
  provider: string;
  version: string;
  source: string;
  resources: Record<string, SchemaBlock>;
  dataSources: Record<string, SchemaBlock>;
  /** Every resource / data-source type of the provider, whether or not its schema is in this file. */
  resourceTypeNames: string[];
  dataSourceTypeNames: string[];
}

const schemaType: z.ZodType<SchemaType> = z.lazy(() =>
  z.union([
    z.enum(["string", "number", "bool", "any"]),
    z.object({ list: schemaType }).strict(),
    z.object({ map: schemaType }).strict(),
    z.object({ object: z.record(z.string(), schemaAttribute) }).strict(),
  ]),
);
const schemaAttribute: z.ZodType<SchemaAttribute> = z.lazy(() =>
  z.object({ type: schemaType, required: z.literal(true).optional() }).strict(),
);
const blockFields = {
  attributes: z.record(z.string(), schemaAttribute),
  blocks: z
    .record(
      z.string(),
      z.lazy(() => nestedBlock),
    )
    .optional(),
  computed: z.array(z.string()).optional(),
};
const nestedBlock: z.ZodType<SchemaNestedBlock> = z.lazy(() =>
  z
    .object({
      ...blockFields,
      nesting: z.enum(["single", "list"]),
      required: z.literal(true).optional(),
    })
    .strict(),
);
const schemaBlock: z.ZodType<SchemaBlock> = z.object(blockFields).strict();
const providerSchema = z.object({
  provider: z.string(),
  version: z.string(),
  source: z.string(),
  regenerate: z.string().optional(),
  resources: z.record(z.string(), schemaBlock),
  dataSources: z.record(z.string(), schemaBlock),
  resourceTypeNames: z.array(z.string()),
  dataSourceTypeNames: z.array(z.string()),
});

const here = dirname(fileURLToPath(import.meta.url));

/** The committed schema file (`aws-<version>.json` next to this module); there is exactly one. */
export function committedSchemaPath(): string {
  const files = readdirSync(here).filter((name) => /^aws-\d+\.\d+\.\d+\.json$/.test(name));
  if (files.length !== 1)
    throw new Error(`expected one aws-<version>.json in ${here}, found ${files.length}`);
  return join(here, files[0] as string);
}

let cached: ProviderSchema | undefined;

/** The committed hashicorp/aws schema, validated. */
export function loadProviderSchema(path = committedSchemaPath()): ProviderSchema {
  if (cached && path === committedSchemaPath()) return cached;
  const schema = providerSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  if (path === committedSchemaPath()) cached = schema;
  return schema;
}
