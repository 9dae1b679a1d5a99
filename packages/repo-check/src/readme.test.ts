import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkReadmeExamples, embedExamples } from "./readme-examples.ts";
import { checkReadmeNamesExports, codeIdentifiers } from "./readme-exports.ts";

const stale = readFileSync(join(import.meta.dirname, "fixtures", "readme", "stale.md"), "utf8");
const entry = {
  specifier: "@fanout/example",
  file: "packages/example/src/index.ts",
  names: ["claimTask", "releaseClaim"],
};
const example = 'import { claimTask } from "@fanout/example";\n\nawait claimTask(store, task);\n';

describe("README names exports", () => {
  it("counts names in code spans and fenced blocks, not in prose", () => {
    const names = codeIdentifiers("claimTask in prose, `readTask(id)` in code\n```ts\nstartRun();\n```\n");
    expect([...names].sort()).toEqual(["id", "readTask", "startRun"]);
  });

  it("flags the stale fixture: an export the README does not name", () => {
    const findings = checkReadmeNamesExports("packages/example/README.md", stale, [entry]);
    expect(findings.map((f) => f.message)).toEqual([
      "does not name releaseClaim (exported by @fanout/example)",
    ]);
  });

  it("flags a package with exports and no README", () => {
    expect(checkReadmeNamesExports("x/README.md", undefined, [entry])).toHaveLength(1);
  });
});

describe("README examples", () => {
  const input = {
    readmeFile: "packages/example/README.md",
    readme: stale,
    examples: new Map([
      ["examples/claim.ts", example],
      ["examples/release.ts", "export {};\n"],
    ]),
    tsconfigInclude: ["src"],
  };

  it("flags the stale fixture: a block that differs from its file, an unmarked block, an unembedded file, an uncompiled folder", () => {
    expect(checkReadmeExamples(input).map((f) => `${f.where}: ${f.message}`)).toEqual([
      "packages/example/README.md:6: differs from examples/claim.ts (refresh: pnpm --filter @fanout/repo-check check --write)",
      "packages/example/README.md:12: a ts block that is not an example file: mark it <!-- example: examples/<name>.ts -->",
      "packages/example/README.md: does not embed examples/release.ts",
      'packages/example/README.md: the package tsconfig does not include "examples"',
    ]);
  });

  it("refreshing embeds each marked block's file, after which only the unmarked block is flagged", () => {
    const readme = embedExamples(stale, input.examples);
    expect(readme).toContain(example);
    const findings = checkReadmeExamples({
      ...input,
      readme,
      examples: new Map([["examples/claim.ts", example]]),
      tsconfigInclude: ["src", "examples"],
    });
    expect(findings.map((f) => f.message)).toEqual([
      "a ts block that is not an example file: mark it <!-- example: examples/<name>.ts -->",
    ]);
  });
});
