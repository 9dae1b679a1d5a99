import { describe, expect, it } from "vitest";
import { checkNarrowSurface } from "./narrow-surface.ts";

const packages = [
  { name: "@fanout/a", dir: "packages/a" },
  { name: "@fanout/b", dir: "packages/b" },
];
const entries = new Map([
  [
    "@fanout/a",
    [
      { specifier: "@fanout/a", file: "packages/a/src/index.ts", names: ["used", "shown", "internal"] },
      { specifier: "@fanout/a/testing", file: "packages/a/src/testing.ts", names: ["helper"] },
    ],
  ],
]);
const imports = [
  { specifier: "@fanout/a", name: "used", fromDir: "packages/b", file: "packages/b/src/x.ts" },
  { specifier: "@fanout/a", name: "shown", fromDir: "packages/a", file: "packages/a/examples/basic.ts" },
  { specifier: "@fanout/a", name: "internal", fromDir: "packages/a", file: "packages/a/src/y.test.ts" },
  { specifier: "@fanout/a", name: "helper", fromDir: "packages/b", file: "packages/b/src/x.test.ts" },
];

describe("narrow surface", () => {
  it("accepts names other packages or the package's README examples import; flags the rest, per entry point", () => {
    expect(checkNarrowSurface(packages, entries, imports).map((f) => `${f.where}: ${f.message}`)).toEqual([
      "packages/a/src/index.ts: exports internal, which no other package and no README example of @fanout/a imports from @fanout/a",
      "packages/a/src/testing.ts: exports helper, which no other package and no README example of @fanout/a imports from @fanout/a/testing",
    ]);
  });
});
