import { type Finding, finding } from "@fanout/infra-check";

/**
 * `pnpm typecheck` compiles the whole workspace as one program (the root `tsconfig.json`): each file once,
 * about 10 s, where one `tsc` per package re-checked every shared package's sources in each of them (92 s in
 * CI). Its include list is globs over the package folders; a package that adds a folder to its own
 * `tsconfig.json` and not to the root's would no longer be type-checked by CI. This check says so.
 */
export function checkRootTypecheck(
  rootInclude: readonly string[],
  packages: readonly { dir: string; include: readonly string[] }[],
): Finding[] {
  const patterns = rootInclude.map(globToRegExp);
  return packages.flatMap((pkg) =>
    pkg.include
      .map((entry) => `${pkg.dir}/${entry}`)
      .filter((path) => !patterns.some((p) => p.test(path)))
      .map((path) =>
        finding(
          "root-typecheck",
          "tsconfig.json",
          `${path} is in ${pkg.dir}/tsconfig.json but not under the root tsconfig.json's include, so pnpm typecheck skips it`,
        ),
      ),
  );
}

/** A tsconfig include glob as a regular expression: `*` is any run of characters within one path segment. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]*");
  return new RegExp(`^${body}$`);
}
