import { describe, expect, it } from "vitest";
import { formatFindings } from "./findings.ts";
import { loadInput, runChecks } from "./run.ts";

describe("runChecks", () => {
  it("finds nothing wrong with the repository as committed", async () => {
    expect(formatFindings(runChecks(await loadInput()))).toBe("");
  });
});
