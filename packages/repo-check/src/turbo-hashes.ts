import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Finding,
  finding,
  type WorkspacePackage,
  workspaceClosure,
  workspacePackages,
} from "@fanout/infra-check";
import { z } from "zod";

const turboJsonSchema = z.object({
  tasks: z.record(z.string(), z.object({ dependsOn: z.array(z.string()).optional() })),
});

/**
 * Packages whose task a package's task is sequenced after by name in turbo.json (`"a#test":
 * {"dependsOn": ["b#test"]}`): turbo folds b's hash into a's, so a's hash may follow b's sources.
 */
function sequencedAfter(turboJson: string): Map<string, string[]> {
  const { tasks } = turboJsonSchema.parse(JSON.parse(turboJson));
  const after = new Map<string, string[]>();
  for (const [key, task] of Object.entries(tasks)) {
    if (!key.includes("#")) continue;
    after.set(
      key,
      (task.dependsOn ?? [])
        .filter((d) => d.includes("#") && !d.startsWith("^"))
        .map((d) => d.split("#")[0] ?? d),
    );
  }
  return after;
}

const dryRunSchema = z.object({
  tasks: z.array(z.object({ package: z.string(), task: z.string(), hash: z.string() })),
});

/** The tasks whose cache must follow a dependency's source: both read it through `types: src/index.ts`. */
export const sourceReadingTasks = ["typecheck", "test"] as const;

const copySkips = new Set(["node_modules", "dist", ".turbo", ".git", ".tools", ".fanout"]);

/** A copy of the workspace's files (no node_modules, build output or git) in a fresh temporary folder. */
function copyWorkspace(root: string): string {
  const copy = mkdtempSync(join(tmpdir(), "fanout-turbo-"));
  for (const name of readdirSync(root)) {
    if (copySkips.has(name)) continue;
    cpSync(join(root, name), join(copy, name), {
      recursive: true,
      filter: (src) => !src.split("/").some((part) => copySkips.has(part)),
    });
  }
  return copy;
}

function taskHashes(turbo: string, dir: string): Map<string, string> {
  const out = execFileSync(turbo, ["run", ...sourceReadingTasks, "--dry=json"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const { tasks } = dryRunSchema.parse(JSON.parse(out));
  return new Map(tasks.map((t) => [`${t.package}#${t.task}`, t.hash]));
}

/** The first non-test source file of a package, the file an edit is simulated in. */
function sourceFileOf(root: string, pkg: WorkspacePackage): string | undefined {
  const src = join(root, pkg.dir, "src");
  if (!existsSync(src)) return undefined;
  const file = readdirSync(src)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "index.ts")
    .sort()[0];
  return file ? join(pkg.dir, "src", file) : undefined;
}

/**
 * With turbo's dry run on a copy of the workspace: an edit to one source file of a package changes
 * the typecheck and test hashes of every package that depends on it (so a type break there is never
 * a cached pass downstream), and of no package that does not.
 */
export function checkDependentsRehash(options: {
  root: string;
  turbo: string;
  /** Replaces turbo.json in the copy (a fixture). */
  turboJson?: string;
  /** Only simulate edits in these packages (all by default). */
  only?: readonly string[];
}): Finding[] {
  const copy = copyWorkspace(options.root);
  try {
    if (options.turboJson !== undefined) writeFileSync(join(copy, "turbo.json"), options.turboJson);
    const packages = workspacePackages(copy);
    const sequenced = sequencedAfter(readFileSync(join(copy, "turbo.json"), "utf8"));
    const uses = (pkg: WorkspacePackage, task: string, edited: WorkspacePackage): boolean => {
      const reach = [pkg.name, ...(sequenced.get(`${pkg.name}#${task}`) ?? [])];
      return reach.some(
        (name) =>
          name === edited.name || workspaceClosure(name, packages).some((d) => d.name === edited.name),
      );
    };
    const before = taskHashes(options.turbo, copy);
    const findings: Finding[] = [];
    for (const edited of packages) {
      if (options.only && !options.only.includes(edited.name)) continue;
      const file = sourceFileOf(copy, edited);
      if (!file) continue;
      appendFileSync(join(copy, file), "\n// a simulated edit\n");
      const after = taskHashes(options.turbo, copy);
      for (const pkg of packages) {
        for (const task of sourceReadingTasks) {
          const dependsOn = uses(pkg, task, edited);
          const key = `${pkg.name}#${task}`;
          if (!before.has(key)) continue;
          const changed = before.get(key) !== after.get(key);
          if (dependsOn && !changed) {
            findings.push(
              finding("turbo hashes", key, `keeps its hash after an edit to ${file}, a file it depends on`),
            );
          } else if (!dependsOn && changed) {
            findings.push(
              finding(
                "turbo hashes",
                key,
                `changes its hash after an edit to ${file}, which it does not use`,
              ),
            );
          }
        }
      }
      // The next edit is measured against this state.
      for (const [key, hash] of after) before.set(key, hash);
    }
    return findings;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
