import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { WorkspacePackage } from "@fanout/infra-check";
import ts from "typescript";

/** One entry point of a package (`"."` or a subpath such as `"./testing"`) and the names it exports. */
export interface Entry {
  /** The import specifier, e.g. `@fanout/dedup/testing`. */
  specifier: string;
  /** The file, relative to the repository root. */
  file: string;
  names: string[];
}

/** One named import of a workspace package, found in a file of some package. */
export interface Import {
  specifier: string;
  name: string;
  /** Directory of the importing package, relative to the root. */
  fromDir: string;
  /** The importing file, relative to the root. */
  file: string;
}

/** The entry points a package declares in package.json `"exports"`. */
export function entryFiles(root: string, pkg: WorkspacePackage): Array<{ specifier: string; file: string }> {
  const exports = (pkg.json as { exports?: Record<string, string> }).exports ?? {};
  return Object.entries(exports).map(([subpath, file]) => ({
    specifier: subpath === "." ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, "")}`,
    file: relative(root, join(root, pkg.dir, file)),
  }));
}

/** Every entry point of every package with the names it exports, as the TypeScript checker sees them. */
export function entriesOf(root: string, packages: readonly WorkspacePackage[]): Map<string, Entry[]> {
  const wanted = packages.flatMap((p) => entryFiles(root, p).map((e) => ({ pkg: p.name, ...e })));
  const program = ts.createProgram(
    wanted.map((e) => join(root, e.file)),
    {
      allowImportingTsExtensions: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2023,
      skipLibCheck: true,
      types: [],
    },
  );
  const checker = program.getTypeChecker();
  const byPackage = new Map<string, Entry[]>();
  for (const e of wanted) {
    const source = program.getSourceFile(join(root, e.file));
    const symbol = source ? checker.getSymbolAtLocation(source) : undefined;
    const names = symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : [];
    const list = byPackage.get(e.pkg) ?? [];
    list.push({ specifier: e.specifier, file: e.file, names: names.sort() });
    byPackage.set(e.pkg, list);
  }
  return byPackage;
}

const skipped = new Set(["node_modules", "dist", ".turbo", "fixtures"]);

/** The TypeScript files of a package, tests and examples included; not node_modules, dist or fixtures. */
export function sourceFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (skipped.has(entry.name)) continue;
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) found.push(relative(root, path));
    }
  };
  if (existsSync(join(root, dir))) walk(join(root, dir));
  return found.sort();
}

/** Every named import (and `export … from`) of a workspace package in any package's TypeScript files. */
export function importsOf(root: string, packages: readonly WorkspacePackage[]): Import[] {
  const scopes = new Set(packages.map((p) => p.name));
  const isWorkspace = (specifier: string): boolean =>
    scopes.has(specifier) || [...scopes].some((s) => specifier.startsWith(`${s}/`));
  const found: Import[] = [];
  for (const pkg of packages) {
    for (const file of sourceFiles(root, pkg.dir)) {
      const source = ts.createSourceFile(
        file,
        readFileSync(join(root, file), "utf8"),
        ts.ScriptTarget.Latest,
      );
      for (const statement of source.statements) {
        const names = namesOf(statement);
        if (!names) continue;
        if (!isWorkspace(names.specifier)) continue;
        for (const name of names.names)
          found.push({ specifier: names.specifier, name, fromDir: pkg.dir, file });
      }
    }
  }
  return found;
}

/** The specifier and names of an import or re-export statement; `*` for a namespace or star form. */
function namesOf(statement: ts.Statement): { specifier: string; names: string[] } | undefined {
  if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
    const bindings = statement.importClause?.namedBindings;
    const names =
      bindings && ts.isNamedImports(bindings)
        ? bindings.elements.map((e) => (e.propertyName ?? e.name).text)
        : ["*"];
    return { specifier: statement.moduleSpecifier.text, names };
  }
  if (
    ts.isExportDeclaration(statement) &&
    statement.moduleSpecifier &&
    ts.isStringLiteral(statement.moduleSpecifier)
  ) {
    const clause = statement.exportClause;
    const names =
      clause && ts.isNamedExports(clause)
        ? clause.elements.map((e) => (e.propertyName ?? e.name).text)
        : ["*"];
    return { specifier: statement.moduleSpecifier.text, names };
  }
  return undefined;
}
