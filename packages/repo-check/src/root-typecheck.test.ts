import { describe, expect, it } from "vitest";
import { checkRootTypecheck } from "./root-typecheck.ts";

describe("the root typecheck's include list", () => {
  const root = ["packages/*/src", "packages/*/*.ts", "functions/*/src"];

  it("accepts packages whose folders the root globs cover", () => {
    expect(
      checkRootTypecheck(root, [
        { dir: "packages/core", include: ["src", "*.ts"] },
        { dir: "functions/worker", include: ["src"] },
      ]),
    ).toEqual([]);
  });

  it("names a package folder the root globs miss", () => {
    const findings = checkRootTypecheck(root, [
      { dir: "packages/core", include: ["src", "scripts"] },
      { dir: "functions/worker", include: ["e2e"] },
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining("packages/core/scripts is in packages/core/tsconfig.json"),
      expect.stringContaining("functions/worker/e2e is in functions/worker/tsconfig.json"),
    ]);
  });

  it("reads * as one path segment, not several", () => {
    expect(checkRootTypecheck(["packages/*/src"], [{ dir: "packages/a/b", include: ["src"] }])).toHaveLength(
      1,
    );
  });
});
