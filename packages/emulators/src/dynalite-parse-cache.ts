import { createRequire } from "node:module";

type Value = Record<string, unknown>;
interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, Value>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  isKeyCondition?: boolean;
}
type Parse = (input: string, options: { context: ParseContext }) => unknown;
interface ParserModule {
  parse: Parse;
}

/** A parsed expression with each expression attribute value left as a hole, and the names and values it used. */
interface Template {
  tree: unknown;
  usedNames: string[];
  usedValues: string[];
}

const hole = Symbol("expression attribute value");
type Hole = { [hole]: string };
const isHole = (x: unknown): x is Hole => typeof x === "object" && x !== null && hole in x;

/** Parsers whose answer may depend on a value, not only its type: never cached. */
const valueDependent = /between|attribute_type/i;
const maxEntries = 5_000;

/**
 * dynalite parses every condition, update and projection expression again on every request, with a PEG
 * parser: most of the emulator's CPU under fanout's load (issue 20). fanout sends a few dozen expressions
 * with ever-changing values, so the cache is keyed by the expression, its attribute names and the *types* of
 * its values (the parser checks types, never contents, except for BETWEEN and attribute_type, which are not
 * cached), and each hit is the cached tree with this request's values put in the holes. The tree is built
 * afresh per request (the validations mutate a key condition's tree). A parse that fails is not cached: it
 * runs again and fails the same way. Pinned by `dynalite-parse-cache.test.ts`, which compares every answer
 * with the uncached parser's.
 */
export function cacheParser(parse: Parse): Parse {
  const cache = new Map<string, Template>();
  return (input, options) => {
    const context = options.context;
    if (valueDependent.test(input)) return parse(input, options);
    const vals = context.attrVals ?? {};
    const key = JSON.stringify([
      input,
      context.isKeyCondition === true,
      context.attrNames ?? null,
      Object.entries(vals).map(([k, v]) => [k, typeOf(v)]),
    ]);
    const hit = cache.get(key);
    if (hit) {
      for (const n of hit.usedNames) delete context.unusedAttrNames?.[n];
      for (const v of hit.usedValues) delete context.unusedAttrVals?.[v];
      return fill(hit.tree, vals);
    }
    const namesBefore = Object.keys(context.unusedAttrNames ?? {});
    const valuesBefore = Object.keys(context.unusedAttrVals ?? {});
    const tree = parse(input, options);
    // A string is the parser's semantic error: not cached, so the next request finds the same error.
    if (typeof tree === "string") return tree;
    const byIdentity = new Map<unknown, string>(Object.entries(vals).map(([k, v]) => [v, k]));
    if (cache.size >= maxEntries) cache.clear();
    cache.set(key, {
      tree: carve(tree, byIdentity),
      usedNames: namesBefore.filter((n) => !(n in (context.unusedAttrNames ?? {}))),
      usedValues: valuesBefore.filter((v) => !(v in (context.unusedAttrVals ?? {}))),
    });
    return tree;
  };
}

/** The attribute value's type key (S, N, M, …), as the parser's getType reads it. */
function typeOf(v: Value): string {
  for (const t of ["S", "N", "B", "NULL", "BOOL", "SS", "NS", "BS", "L", "M"]) if (v[t] != null) return t;
  return "?";
}

/** A copy of `tree` with each expression attribute value (found by identity) replaced by a hole. */
function carve(tree: unknown, byIdentity: Map<unknown, string>): unknown {
  const name = byIdentity.get(tree);
  if (name !== undefined) return { [hole]: name } satisfies Hole;
  if (Array.isArray(tree)) return tree.map((x) => carve(x, byIdentity));
  if (typeof tree === "object" && tree !== null)
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, carve(v, byIdentity)]));
  return tree;
}

/** A fresh tree from `template`, each hole filled with this request's value (the object itself, as the parser does). */
function fill(template: unknown, vals: Record<string, Value>): unknown {
  if (isHole(template)) return vals[template[hole]];
  if (Array.isArray(template)) return template.map((x) => fill(x, vals));
  if (typeof template === "object" && template !== null)
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fill(v, vals)]));
  return template;
}

let installed = false;

/** Installs {@link cacheParser} on dynalite's three expression parsers (their shared CommonJS exports). */
export function cacheExpressionParses(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  for (const name of ["conditionParser", "updateParser", "projectionParser"]) {
    const parser = require(require.resolve(`dynalite/db/${name}.js`)) as ParserModule;
    if (typeof parser.parse !== "function") continue; // layout changed: the conformance test will say so
    parser.parse = cacheParser(parser.parse);
  }
}
