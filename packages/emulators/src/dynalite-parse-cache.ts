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
const nameHole = Symbol("expression attribute name");
type NameHole = { [nameHole]: string };
const isNameHole = (x: unknown): x is NameHole => typeof x === "object" && x !== null && nameHole in x;

/**
 * A name an expression cannot spell as a literal identifier (it has a character outside [A-Za-z0-9_], e.g.
 * the worker's per-event counter `ev:<request id>`): it is a hole in the template, not part of the key, so an
 * expression naming a new attribute on every request is still parsed once. Only while it differs from every
 * other name of the request: the parser compares paths (overlapping and conflicting updates), and a name no
 * literal spells and no other name equals compares unequal to every other path, whatever its value.
 */
const literalName = /^[A-Za-z0-9_]+$/;
/** Such a name as an object key in the tree (the parser's sets of paths): this prefix and its placeholder. */
const nameKey = "\u0000name:";

/** Parsers whose answer may depend on a value, not only its type: never cached. */
const valueDependent = /between|attribute_type/i;
const maxEntries = 5_000;

/**
 * dynalite parses every condition, update and projection expression again on every request, with a PEG
 * parser: most of the emulator's CPU under fanout's load (issue 20). fanout sends a few dozen expressions
 * with ever-changing values, so the cache is keyed by the expression, its attribute names and the *types* of
 * its values (the parser checks types, never contents, except for BETWEEN and attribute_type, which are not
 * cached), and each hit is the cached tree with this request's values put in the holes (and its names, for
 * a name no literal spells: see {@link literalName}). The tree is built
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
    const names = context.attrNames ?? {};
    const holes = nameHoles(names);
    if (holes === undefined) return parse(input, options);
    const key = JSON.stringify([
      input,
      context.isKeyCondition === true,
      context.attrNames === undefined
        ? null
        : Object.entries(names).map(([k, v]) => [k, holes.has(v) ? null : v]),
      Object.entries(vals).map(([k, v]) => [k, typeOf(v)]),
    ]);
    const hit = cache.get(key);
    if (hit) {
      for (const n of hit.usedNames) delete context.unusedAttrNames?.[n];
      for (const v of hit.usedValues) delete context.unusedAttrVals?.[v];
      return fill(hit.tree, vals, names);
    }
    const namesBefore = Object.keys(context.unusedAttrNames ?? {});
    const valuesBefore = Object.keys(context.unusedAttrVals ?? {});
    const tree = parse(input, options);
    // A string is the parser's semantic error: not cached, so the next request finds the same error.
    if (typeof tree === "string") return tree;
    const byIdentity = new Map<unknown, string>(Object.entries(vals).map(([k, v]) => [v, k]));
    if (cache.size >= maxEntries) cache.clear();
    cache.set(key, {
      tree: carve(tree, byIdentity, holes),
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

/**
 * The names to leave as holes (value → its placeholder), or undefined when one of them equals another name
 * of the request: that request is parsed uncached.
 */
function nameHoles(names: Record<string, string>): Map<string, string> | undefined {
  const holes = new Map<string, string>();
  const values = Object.values(names);
  for (const [placeholder, value] of Object.entries(names)) {
    if (literalName.test(value)) continue;
    if (values.indexOf(value) !== values.lastIndexOf(value)) return undefined;
    holes.set(value, placeholder);
  }
  return holes;
}

/**
 * A copy of `tree` with each expression attribute value (found by identity) and each name in `names` (a
 * string no literal spells, so it came from its placeholder), as a value or as a key, replaced by a hole.
 */
function carve(tree: unknown, byIdentity: Map<unknown, string>, names: Map<string, string>): unknown {
  const value = byIdentity.get(tree);
  if (value !== undefined) return { [hole]: value } satisfies Hole;
  if (typeof tree === "string") {
    const name = names.get(tree);
    return name === undefined ? tree : ({ [nameHole]: name } satisfies NameHole);
  }
  if (Array.isArray(tree)) return tree.map((x) => carve(x, byIdentity, names));
  if (typeof tree === "object" && tree !== null)
    return Object.fromEntries(
      Object.entries(tree).map(([k, v]) => {
        const name = names.get(k);
        return [name === undefined ? k : nameKey + name, carve(v, byIdentity, names)];
      }),
    );
  return tree;
}

/**
 * A fresh tree from `template`, each hole filled with this request's value (the object itself, as the
 * parser does) or name.
 */
function fill(template: unknown, vals: Record<string, Value>, names: Record<string, string>): unknown {
  if (isHole(template)) return vals[template[hole]];
  if (isNameHole(template)) return names[template[nameHole]];
  if (Array.isArray(template)) return template.map((x) => fill(x, vals, names));
  if (typeof template === "object" && template !== null)
    return Object.fromEntries(
      Object.entries(template).map(([k, v]) => [
        k.startsWith(nameKey) ? names[k.slice(nameKey.length)] : k,
        fill(v, vals, names),
      ]),
    );
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
