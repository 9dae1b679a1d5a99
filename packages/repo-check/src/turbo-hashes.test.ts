import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@fanout/infra-check";
import { describe, expect, it } from "vitest";
import { checkDependentsRehash } from "./turbo-hashes.ts";

const turbo = join(repoRoot, "node_modules", ".bin", "turbo");
// One turbo dry run per package, each a fraction of a second; generous for a busy machine.
const timeout = 180_000;

describe("turbo hashes", () => {
  it(
    "an edit in any package changes the typecheck and test hashes of every package that depends on it, and of no other",
    () => {
      expect(checkDependentsRehash({ root: repoRoot, turbo })).toEqual([]);
    },
    timeout,
  );

  it(
    "flags the stale fixture: typecheck without a transit dependency keeps dependents' hashes after an edit in dedup",
    () => {
      const turboJson = readFileSync(
        join(import.meta.dirname, "fixtures", "turbo-typecheck-without-transit.json"),
        "utf8",
      );
      const findings = checkDependentsRehash({ root: repoRoot, turbo, turboJson, only: ["@fanout/dedup"] });
      const stale = findings.map((f) => f.where);
      for (const dependent of ["consumer", "main", "worker", "cli", "bench", "local-stack", "chaos"]) {
        expect(stale).toContain(`@fanout/${dependent}#typecheck`);
      }
      expect(findings[0]?.message).toMatch(/keeps its hash after an edit to packages\/dedup\/src\/\S+\.ts/);
    },
    timeout,
  );
});
