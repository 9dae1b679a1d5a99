import { type Finding, finding } from "@fanout/infra-check";
import type { Entry, Import } from "./surface.ts";

/**
 * Every name an entry point exports is imported by another workspace package, or by one of the
 * package's own README examples (`examples/*.ts`, which show the API a user of the package calls).
 * A name nobody imports is not API: it is internal, and exporting it only widens what must stay stable.
 */
export function checkNarrowSurface(
  packages: ReadonlyArray<{ name: string; dir: string }>,
  entries: ReadonlyMap<string, readonly Entry[]>,
  imports: readonly Import[],
): Finding[] {
  const findings: Finding[] = [];
  for (const pkg of packages) {
    for (const entry of entries.get(pkg.name) ?? []) {
      const users = imports.filter(
        (i) =>
          i.specifier === entry.specifier &&
          (i.fromDir !== pkg.dir || i.file.startsWith(`${pkg.dir}/examples/`)),
      );
      if (users.some((i) => i.name === "*")) continue;
      const used = new Set(users.map((i) => i.name));
      for (const name of entry.names) {
        if (!used.has(name)) {
          findings.push(
            finding(
              "narrow surface",
              entry.file,
              `exports ${name}, which no other package and no README example of ${pkg.name} imports from ${entry.specifier}`,
            ),
          );
        }
      }
    }
  }
  return findings;
}
