import { z } from "zod";

/**
 * A Lambda event filter pattern (the `Pattern` of an event source mapping's `FilterCriteria`), the subset
 * fanout uses: nested objects are ANDed; a leaf is an array of alternatives, each a literal (string, number,
 * boolean, null), `{ prefix }`, `{ "anything-but": [...] }` or `{ exists }`. Anything else is refused when the
 * mapping is made, as Lambda refuses a pattern it cannot parse: a filter that silently matched nothing (or
 * everything) here would hide a wrong Terraform filter until it ran on AWS.
 */
export type FilterPattern = { [key: string]: FilterPattern | FilterAlternative[] };

type Literal = string | number | boolean | null;
type FilterAlternative = Literal | { prefix: string } | { "anything-but": Literal[] } | { exists: boolean };

const literal = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const alternative = z.union([
  literal,
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ "anything-but": z.array(literal).min(1) }),
  z.strictObject({ exists: z.boolean() }),
]);
const patternSchema: z.ZodType<FilterPattern> = z.lazy(() =>
  z.record(z.string(), z.union([z.array(alternative).min(1), patternSchema])),
);

/** Parses a pattern's JSON text; throws with the reason when Lambda would refuse it (or we do not model it). */
export function parseFilterPattern(text: string): FilterPattern {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`filter pattern is not JSON: ${(error as Error).message}`);
  }
  const parsed = patternSchema.safeParse(json);
  if (!parsed.success) throw new Error(`filter pattern not supported: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Whether `event` matches `pattern`: every key of the pattern, at any depth, matches one of its alternatives. */
export function matchesPattern(pattern: FilterPattern, event: unknown): boolean {
  const object = typeof event === "object" && event !== null ? (event as Record<string, unknown>) : {};
  return Object.entries(pattern).every(([key, want]) => {
    const value = Object.hasOwn(object, key) ? object[key] : undefined;
    if (!Array.isArray(want)) return value !== undefined && matchesPattern(want, value);
    return want.some((alt) => matchesAlternative(alt, value));
  });
}

function matchesAlternative(alt: FilterAlternative, value: unknown): boolean {
  if (alt === null || typeof alt !== "object") return value !== undefined && value === alt;
  if ("exists" in alt) return (value !== undefined) === alt.exists;
  if (value === undefined) return false;
  if ("prefix" in alt) return typeof value === "string" && value.startsWith(alt.prefix);
  return !alt["anything-but"].includes(value as Literal);
}
