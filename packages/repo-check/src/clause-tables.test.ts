import { describe, expect, it } from "vitest";
import { checkClauseTables, clausesDefined, conditionValues, literalTexts } from "./clause-tables.ts";

const source = `
export const absentClause = "attribute_not_exists(pk)";

export const claimClauses = {
  /** A comment. */
  requeued: "#s = :requeued",
  deadRun: "(#s = :running AND #l < :now)",
} as const;

await send({
  ConditionExpression: \`\${absentClause} OR (\${[claimClauses.requeued, claimClauses.deadRun].join(" OR ")})\`,
  KeyConditionExpression: "jobList = :job",
});
`;
const readme = `
| transition | condition |
| --- | --- |
| → CLAIMED | \`absentClause OR claimClauses.requeued OR claimClauses.deadRun\` |
`;

describe("clause tables", () => {
  it("reads the clause constants a source defines", () => {
    expect(clausesDefined(source)).toEqual(["claimClauses.requeued", "claimClauses.deadRun", "absentClause"]);
  });

  it("reads each ConditionExpression's value, not KeyConditionExpression's", () => {
    expect(conditionValues(source)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text, not a template
      ' `${absentClause} OR (${[claimClauses.requeued, claimClauses.deadRun].join(" OR ")})`',
    ]);
  });

  it("finds the static text of literals, inside template substitutions too", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text, not a template
    expect(literalTexts('`${a} AND (${[b].join(" OR ")})`')).toEqual([" OR ", "  AND ( )"]);
  });

  it("passes a package whose conditions are all named and whose README names every clause", () => {
    expect(checkClauseTables("README.md", readme, new Map([["src/claims.ts", source]]))).toEqual([]);
  });

  it("flags a condition spelt inline", () => {
    const inline = `${source}\nawait send({ ConditionExpression: "#s = :claimed AND #o = :owner" });\n`;
    expect(
      checkClauseTables("README.md", readme, new Map([["src/claims.ts", inline]])).map((f) => f.message),
    ).toEqual(['a condition spelt inline, not by named clauses: "#s = :claimed AND #o = :owner"']);
  });

  it("flags an inline clause joined into a template", () => {
    const mixed = `${source}\nawait send({ ConditionExpression: \`#ep = :ep AND \${claimClauses.deadRun}\` });\n`;
    expect(
      checkClauseTables("README.md", readme, new Map([["src/claims.ts", mixed]])).map((f) => f.message),
    ).toEqual(['a condition spelt inline, not by named clauses: "#ep = :ep AND"']);
  });

  it("flags a clause the README's tables do not name, and a name the source does not define", () => {
    const drifted = readme.replace("claimClauses.deadRun", "claimClauses.deadClaim");
    expect(
      checkClauseTables("README.md", drifted, new Map([["src/claims.ts", source]])).map((f) => f.message),
    ).toEqual([
      "no transition table names claimClauses.deadRun",
      "a transition table names claimClauses.deadClaim, which the source does not define",
    ]);
  });

  it("asks nothing of a package without conditional writes", () => {
    expect(
      checkClauseTables("README.md", undefined, new Map([["src/a.ts", "export const a = 1;\n"]])),
    ).toEqual([]);
  });
});
