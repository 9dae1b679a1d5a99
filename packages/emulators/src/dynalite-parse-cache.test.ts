import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { cacheParser } from "./dynalite-parse-cache.ts";

type Value = Record<string, unknown>;
type Parse = Parameters<typeof cacheParser>[0];
const require = createRequire(import.meta.url);
const parserOf = (name: string): Parse =>
  (require(require.resolve(`dynalite/db/${name}.js`)) as { parse: Parse }).parse;

interface Case {
  parser: "conditionParser" | "updateParser" | "projectionParser";
  expression: string;
  names?: Record<string, string>;
  /** Values by name: each request draws fresh values of these types. */
  types?: Record<string, "S" | "N" | "NS" | "SS" | "L" | "M" | "BOOL" | "NULL">;
  keyCondition?: boolean;
  /** Names that get a fresh value no literal spells on each request (as the worker's `ev:<request id>`). */
  freshNames?: string[];
}

// The shapes fanout sends (claims, leases, versioned counters, sets) and the grammar around them, including
// expressions the parser refuses (a missing value, a wrong operand type, an unused name).
const cases: Case[] = [
  {
    parser: "conditionParser",
    expression: "attribute_not_exists(#v) OR #v < :v",
    names: { "#v": "v3" },
    types: { ":v": "N" },
  },
  {
    parser: "conditionParser",
    expression: "attribute_not_exists(pk) OR (#s = :claimed AND leaseUntil < :now) OR #s IN (:a, :b)",
    names: { "#s": "status" },
    types: { ":claimed": "S", ":now": "N", ":a": "S", ":b": "S" },
  },
  {
    parser: "conditionParser",
    expression: "enqueueOwner = :me AND NOT contains(#done, :i) AND size(#done) < :n",
    names: { "#done": "ok" },
    types: { ":me": "S", ":i": "N", ":n": "N" },
  },
  {
    parser: "conditionParser",
    expression: "begins_with(sk, :p) AND attribute_exists(#x.#y[2])",
    names: { "#x": "m", "#y": "l" },
    types: { ":p": "S" },
  },
  {
    parser: "conditionParser",
    expression: "pk = :pk AND begins_with(sk, :p)",
    types: { ":pk": "S", ":p": "S" },
    keyCondition: true,
  },
  {
    parser: "conditionParser",
    expression: "pk = :pk AND sk BETWEEN :lo AND :hi",
    types: { ":pk": "S", ":lo": "N", ":hi": "N" },
    keyCondition: true,
  },
  {
    parser: "conditionParser",
    expression: "#s = :missing",
    names: { "#s": "status" },
    types: { ":other": "S" },
  },
  {
    parser: "conditionParser",
    expression: "begins_with(#s, :n)",
    names: { "#s": "status" },
    types: { ":n": "N" },
  },
  {
    parser: "conditionParser",
    expression: "attribute_type(#s, :t)",
    names: { "#s": "status" },
    types: { ":t": "S" },
  },
  {
    parser: "updateParser",
    expression: "SET #v = :v, #f0 = :f0, expiresAt = if_not_exists(expiresAt, :exp) REMOVE #f1",
    names: { "#v": "v1", "#f0": "c1", "#f1": "f1" },
    types: { ":v": "N", ":f0": "S", ":exp": "N" },
  },
  {
    parser: "updateParser",
    expression:
      "ADD #ok :i, running :one DELETE #failed :i SET attempts = attempts + :one, log = list_append(log, :l)",
    names: { "#ok": "ok", "#failed": "failed" },
    types: { ":i": "NS", ":one": "N", ":l": "L" },
  },
  { parser: "updateParser", expression: "SET a = :s + :n", types: { ":s": "S", ":n": "N" } },
  {
    parser: "updateParser",
    expression: "SET m = :m, b = :b, z = :z",
    types: { ":m": "M", ":b": "BOOL", ":z": "NULL" },
  },
  {
    parser: "updateParser",
    expression: "SET #a = :a",
    names: { "#a": "a", "#unused": "u" },
    types: { ":a": "SS", ":unused": "S" },
  },
  {
    parser: "updateParser",
    expression:
      "SET #s = :running, #e = if_not_exists(#e, :exp), idx = :idx ADD attempts :one, #ev :one REMOVE #tk",
    names: { "#s": "status", "#e": "expiresAt", "#tk": "token" },
    freshNames: ["#ev"],
    types: { ":running": "S", ":exp": "N", ":idx": "N", ":one": "N" },
  },
  {
    parser: "conditionParser",
    expression: "attribute_not_exists(#ev) OR (#ev < :one AND #s = :running)",
    names: { "#s": "status" },
    freshNames: ["#ev"],
    types: { ":running": "S", ":one": "N" },
  },
  {
    parser: "projectionParser",
    expression: "enqueueCommittedBy, enqueuedTo, #s, m.l[0]",
    names: { "#s": "status" },
  },
];

let drawn = 0;
function drawValue(type: NonNullable<Case["types"]>[string]): Value {
  const n = ++drawn;
  switch (type) {
    case "S":
      return { S: `s${n}` };
    case "N":
      return { N: String(n * 7) };
    case "NS":
      return { NS: [String(n), String(n + 1)] };
    case "SS":
      return { SS: [`a${n}`, `b${n}`] };
    case "L":
      return { L: [{ N: String(n) }] };
    case "M":
      return { M: { k: { S: `v${n}` } } };
    case "BOOL":
      return { BOOL: n % 2 === 0 };
    case "NULL":
      return { NULL: true };
  }
}

/** The case's names, with a fresh value for each of its fresh names. */
function namesOf(c: Case): Record<string, string> | undefined {
  if (c.freshNames === undefined) return c.names;
  return { ...c.names, ...Object.fromEntries(c.freshNames.map((n) => [n, `ev:${++drawn}-x`])) };
}

/** One request's context, as dynalite's validateExpressions builds it. */
function contextOf(c: Case, values: Record<string, Value>, names = c.names) {
  return {
    attrNames: names,
    attrVals: values,
    unusedAttrNames: Object.fromEntries(Object.keys(names ?? {}).map((k) => [k, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(values).map((k) => [k, true])),
    isKeyCondition: c.keyCondition === true,
    isReserved: () => false,
    compare: () => false,
  };
}

/** The parser's answer: its tree, its error string or its thrown error, and what it left unused. */
function answer(parse: Parse, input: string, context: ReturnType<typeof contextOf>) {
  let result: unknown;
  try {
    result = parse(input, { context });
  } catch (error) {
    result = { thrown: String(error) };
  }
  return { result, unusedNames: context.unusedAttrNames, unusedValues: context.unusedAttrVals };
}

describe("dynalite expression parse cache", () => {
  it("answers every request exactly as the uncached parser does, with fresh values each time", () => {
    let parsed = 0;
    let expectedParses = 0;
    for (const c of cases) {
      const original = parserOf(c.parser);
      const cached = cacheParser((input, options) => {
        parsed += 1;
        return original(input, options);
      });
      for (let request = 0; request < 4; request++) {
        const values = Object.fromEntries(Object.entries(c.types ?? {}).map(([k, t]) => [k, drawValue(t)]));
        const names = namesOf(c);
        const expected = answer(original, c.expression, contextOf(c, values, names));
        expect(
          answer(cached, c.expression, contextOf(c, values, names)),
          `${c.expression} (request ${request})`,
        ).toEqual(expected);
        // Parsed once per cacheable expression; the value-dependent ones (BETWEEN, attribute_type) and the
        // refused ones (an error string, a syntax error) on every request.
        const tree = typeof expected.result === "object" && !("thrown" in (expected.result as object));
        if (request === 0 || !tree || /between|attribute_type/i.test(c.expression)) expectedParses += 1;
      }
    }
    expect(parsed).toBe(expectedParses);
    expect(expectedParses).toBeLessThan(cases.length * 4);
  });

  it("puts this request's values in the tree, so a repeated expression never answers with old values", () => {
    const c = cases[0] as Case;
    const cached = cacheParser(parserOf(c.parser));
    const first = { ":v": { N: "1" } };
    const second = { ":v": { N: "2" } };
    cached(c.expression, { context: contextOf(c, first) });
    const tree = cached(c.expression, { context: contextOf(c, second) });
    expect(JSON.stringify(tree)).toContain('{"N":"2"}');
    expect(JSON.stringify(tree)).not.toContain('{"N":"1"}');
  });

  it("builds a fresh tree per request, so a validation that rewrites a key condition's tree changes no later answer", () => {
    const c = cases.find((x) => x.keyCondition) as Case;
    const cached = cacheParser(parserOf(c.parser));
    const values = () => ({ ":pk": { S: "job" }, ":p": { S: "t#" } });
    const a = cached(c.expression, { context: contextOf(c, values()) }) as {
      expression: { type: string; args: unknown[] };
    };
    const snapshot = JSON.stringify(a);
    // What dynalite's checkExpr does to a key condition: operators swapped, operands moved.
    a.expression.type = "rewritten";
    a.expression.args.length = 0;
    expect(JSON.stringify(cached(c.expression, { context: contextOf(c, values()) }))).toBe(snapshot);
  });

  it("answers as the parser does when a name no literal spells equals another name of the request", () => {
    // Two paths that overlap only because their names are equal: the parser refuses the update. A cache that
    // filled the template of an earlier request with distinct names would accept it.
    const expression = "SET #a = :x ADD #b :one";
    const original = parserOf("updateParser");
    const cached = cacheParser(original);
    const c: Case = { parser: "updateParser", expression, types: { ":x": "N", ":one": "N" } };
    const values = () => ({ ":x": drawValue("N"), ":one": drawValue("N") });
    for (const names of [
      { "#a": "ev:1", "#b": "ev:2" },
      { "#a": "ev:3", "#b": "ev:3" },
      { "#a": "ev:4", "#b": "ev:5" },
      { "#a": "a", "#b": "a" },
    ]) {
      const v = values();
      const expected = answer(original, expression, contextOf(c, v, names));
      expect(answer(cached, expression, contextOf(c, v, names)), JSON.stringify(names)).toEqual(expected);
    }
    expect(
      answer(original, expression, contextOf(c, values(), { "#a": "ev:3", "#b": "ev:3" })).result,
    ).toMatch(/overlap/i);
  });

  it("answers a value of another type as the parser does (the type is part of the key)", () => {
    const c = cases.find((x) => x.expression === "SET a = :s + :n") as Case;
    const original = parserOf(c.parser);
    const cached = cacheParser(original);
    for (const types of [
      { ":s": "N", ":n": "N" },
      { ":s": "S", ":n": "N" },
      { ":s": "N", ":n": "N" },
    ] as const) {
      const values = Object.fromEntries(Object.entries(types).map(([k, t]) => [k, drawValue(t)]));
      expect(answer(cached, c.expression, contextOf(c, values))).toEqual(
        answer(original, c.expression, contextOf(c, values)),
      );
    }
  });
});
