import { type Finding, finding } from "@fanout/infra-check";

const check = "clause tables";

/**
 * The named clauses a source file defines: each key of an `export const <x>Clauses = { … } as const` object as
 * `<x>Clauses.<key>`, and each `export const <x>Clause = …` as `<x>Clause`.
 */
export function clausesDefined(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^export const (\w+Clauses) = \{\n([\s\S]*?)^\} as const;/gm)) {
    const [, object = "", body = ""] = m;
    for (const key of body.matchAll(/^ {2}(\w+):/gm)) names.push(`${object}.${key[1]}`);
  }
  for (const m of source.matchAll(/^export const (\w+Clause) = /gm)) names.push(m[1] ?? "");
  return names;
}

/** The clauses a README's table rows name in code spans: `<x>Clauses.<key>` and `<x>Clause`. */
export function clausesNamed(readme: string): Set<string> {
  const named = new Set<string>();
  for (const row of readme.split("\n").filter((line) => line.startsWith("|"))) {
    for (const span of row.match(/`[^`]+`/g) ?? []) {
      for (const m of span.matchAll(/\b(\w+Clauses)\.(\w+)|\b(\w+Clause)\b/g))
        named.add(m[3] ?? `${m[1]}.${m[2]}`);
    }
  }
  return named;
}

/**
 * The text of the value of each `ConditionExpression:` property (not `KeyConditionExpression`) in a source
 * file: from after the colon to the comma that ends the property, at the same bracket depth.
 */
export function conditionValues(source: string): string[] {
  const values: string[] = [];
  for (const m of source.matchAll(/(?<![\w])ConditionExpression:/g)) {
    const start = (m.index ?? 0) + m[0].length;
    values.push(source.slice(start, valueEnd(source, start)));
  }
  return values;
}

/** Where an expression that starts at `from` ends: the first `,` or closing bracket outside any nesting. */
function valueEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      i = literalEnd(text, i);
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) return i;
      depth--;
    } else if (c === "," && depth === 0) return i;
  }
  return text.length;
}

/** The index of the quote closing the string or template literal opened at `at` (templates may nest code). */
function literalEnd(text: string, at: number): number {
  const quote = text[at];
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === quote) return i;
    else if (quote === "`" && c === "$" && text[i + 1] === "{") i = valueEnd(text, i + 2);
  }
  return text.length;
}

/**
 * The static text of every string and template literal in an expression (a template's `${…}` parts are code,
 * searched in turn): what a condition spells out in place rather than by a clause's name.
 */
export function literalTexts(expression: string): string[] {
  const texts: string[] = [];
  for (let i = 0; i < expression.length; i++) {
    const quote = expression[i];
    if (quote !== '"' && quote !== "'" && quote !== "`") continue;
    const end = literalEnd(expression, i);
    const body = expression.slice(i + 1, end);
    if (quote !== "`") texts.push(body);
    else {
      let text = "";
      for (let j = 0; j < body.length; j++) {
        if (body[j] === "\\") {
          text += body[++j] ?? "";
        } else if (body[j] === "$" && body[j + 1] === "{") {
          const close = valueEnd(body, j + 2);
          texts.push(...literalTexts(body.slice(j + 2, close)));
          text += " ";
          j = close;
        } else text += body[j];
      }
      texts.push(text);
    }
    i = end;
  }
  return texts;
}

/** Text that only joins clauses: the logical operators, parentheses and spaces. */
const joinerOnly = /^(?:\s|\(|\)|\bAND\b|\bOR\b|\bNOT\b)*$/;

/**
 * A package's conditional writes and its README's transition tables agree: every condition is built from named
 * clauses (no condition spelt inline), every clause the source defines is named in a README table, and every
 * clause a table names is defined.
 */
export function checkClauseTables(
  readmeFile: string,
  readme: string | undefined,
  sources: ReadonlyMap<string, string>,
): Finding[] {
  const findings: Finding[] = [];
  const defined = new Set<string>();
  let conditions = 0;
  for (const [file, source] of sources) {
    for (const name of clausesDefined(source)) defined.add(name);
    for (const value of conditionValues(source)) {
      conditions++;
      const inline = literalTexts(value).filter((text) => !joinerOnly.test(text));
      for (const text of inline)
        findings.push(
          finding(check, file, `a condition spelt inline, not by named clauses: "${text.trim()}"`),
        );
    }
  }
  if (conditions === 0 && defined.size === 0) return findings;
  const named = readme === undefined ? new Set<string>() : clausesNamed(readme);
  for (const name of [...defined].sort())
    if (!named.has(name)) findings.push(finding(check, readmeFile, `no transition table names ${name}`));
  for (const name of [...named].sort())
    if (!defined.has(name))
      findings.push(
        finding(check, readmeFile, `a transition table names ${name}, which the source does not define`),
      );
  return findings;
}
