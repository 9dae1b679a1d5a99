import { repoRoot } from "@fanout/infra-check";
import { describe, expect, it } from "vitest";
import { checkSources, loadWorkspace } from "./checks.ts";

describe("the workspace", () => {
  it("exports only what other packages use, and each README names every export and embeds its compiled examples", () => {
    const findings = checkSources(loadWorkspace(repoRoot));
    expect(findings.map((f) => `[${f.check}] ${f.where}: ${f.message}`)).toEqual([]);
  }, 60_000); // builds one TypeScript program over every entry point
});
