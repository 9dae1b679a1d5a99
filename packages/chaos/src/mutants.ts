import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `pnpm chaos --mutants`: small realistic bugs planted one at a time in the shipped code, each kept as a
 * patch in `packages/chaos/mutants/`, each run through the explorer's budget in a process of its own (the
 * patched modules load fresh). A mutant is caught by its first violation; the run stops there.
 */
export const mutantsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "mutants");
export const repoRoot = join(mutantsDir, "..", "..", "..");

export interface Mutant {
  /** File name without `.patch`, e.g. `03-claim-ignores-status`. */
  name: string;
  path: string;
  /** The first line of the patch's description: what the bug breaks. */
  breaks: string;
  /** Files the patch changes, relative to the repository root. */
  files: string[];
}

export function listMutants(dir = mutantsDir): Mutant[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".patch"))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const text = readFileSync(path, "utf8");
      const breaks = /^Breaks: (.+)$/m.exec(text)?.[1]?.trim() ?? "(no Breaks: line)";
      const files = [...text.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1] ?? "");
      return { name: f.replace(/\.patch$/, ""), path, breaks, files };
    });
}

const git = (args: string[]) =>
  execFileSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Whether the patch still applies to the working tree (CI checks every one). */
export function applies(mutant: Mutant): boolean {
  try {
    git(["apply", "--check", mutant.path]);
    return true;
  } catch {
    return false;
  }
}

/**
 * A patch applied to `text` (the file it names): its hunks in order, each at its old line number. Only for
 * patches `applies` accepts, so the context lines are not checked again here.
 */
export function patchText(text: string, patch: string, file: string): string {
  const lines = text.split("\n");
  const section = patch.split(/^diff --git /m).find((d) => d.includes(`+++ b/${file}\n`)) ?? "";
  const out: string[] = [];
  let at = 0;
  for (const hunk of section.split(/^(?=@@ )/m).slice(1)) {
    const start = Number(/^@@ -(\d+)/.exec(hunk)?.[1] ?? 1) - 1;
    out.push(...lines.slice(at, start));
    at = start;
    for (const line of hunk.split("\n").slice(1)) {
      if (line.startsWith("+")) out.push(line.slice(1));
      else if (line.startsWith("-")) at++;
      else if (line.startsWith(" ")) out.push(lines[at++] ?? "");
    }
  }
  return [...out, ...lines.slice(at)].join("\n");
}

/** Expression placeholders (`:name`) a piece of code defines (`":name":`) and the ones its expressions use. */
function placeholders(text: string): { defined: Set<string>; used: Set<string> } {
  const defined = new Set([...text.matchAll(/"(:[A-Za-z]\w*)":/g)].map((m) => m[1] ?? ""));
  const used = new Set([...text.matchAll(/(?<![\w"]):([A-Za-z]\w*)/g)].map((m) => `:${m[1]}`));
  return { defined, used };
}

/** A module cut at each top-level function: its prelude (shared constants, clause tables) and the functions. */
function functionsOf(text: string): { prelude: string; functions: string[] } {
  const [prelude = "", ...functions] = text.split(/^(?=(?:export )?(?:async )?function )/m);
  return { prelude, functions };
}

/**
 * Placeholders the patch leaves defined in a function but no longer used there (nor in the module's prelude,
 * where clause tables live): DynamoDB refuses such a request outright (ValidationException), so the mutant
 * would plant that refusal, not the bug it names (mutants 22 and 28 once did).
 */
export function unusedPlaceholders(mutant: Mutant): string[] {
  const patch = readFileSync(mutant.path, "utf8");
  return mutant.files.flatMap((file) => {
    const before = functionsOf(readFileSync(join(repoRoot, file), "utf8"));
    const after = functionsOf(patchText(readFileSync(join(repoRoot, file), "utf8"), patch, file));
    const shared = placeholders(after.prelude).used;
    return after.functions.flatMap((fn, i) => {
      const now = placeholders(fn);
      const was = placeholders(before.functions[i] ?? "");
      const name = /function\s+(\w+)/.exec(fn)?.[1] ?? `function ${i}`;
      return [...now.defined]
        .filter((p) => was.used.has(p) && !now.used.has(p) && !shared.has(p))
        .map((p) => `${file}:${name} ${p}`);
    });
  });
}

export interface MutantResult {
  mutant: Mutant;
  caught: boolean;
  /** The first violation: its guarantee and seed, or why the mutant could not run. */
  by?: string;
  seed?: number;
  schedules: number;
  wallMs: number;
}

/**
 * Applies `mutant`, runs the explorer (`--schedules`, from `seed`, stopping at the first violation) in a
 * child process, and always takes the patch back out.
 */
export async function runMutant(
  mutant: Mutant,
  options: { seed: number; schedules: number },
): Promise<MutantResult> {
  const started = performance.now();
  const dirty = git(["status", "--porcelain", "--", ...mutant.files]).trim();
  if (dirty)
    throw new Error(
      `${mutant.name}: uncommitted changes in ${mutant.files.join(", ")}; commit or stash them`,
    );
  git(["apply", mutant.path]);
  const restore = () => {
    try {
      git(["apply", "-R", mutant.path]);
    } catch {
      // Already restored.
    }
  };
  // Stopped (Ctrl-C, kill): take the patch out before going, or the shipped code stays mutated.
  const restoreAndExit = () => {
    restore();
    process.exit(130);
  };
  process.once("SIGINT", restoreAndExit);
  process.once("SIGTERM", restoreAndExit);
  try {
    const { out, code } = await new Promise<{ out: string; code: number | null }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(dirname(fileURLToPath(import.meta.url)), "cli.ts"),
          "--seed",
          String(options.seed),
          "--schedules",
          String(options.schedules),
          "--no-shrink",
          "--stop-at-first",
          "--json",
        ],
        { cwd: repoRoot, stdio: ["ignore", "pipe", "ignore"] },
      );
      let text = "";
      child.stdout.on("data", (d: Buffer) => {
        text += d.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (exit) => resolve({ out: text, code: exit }));
    });
    const json = out.slice(out.indexOf("{"), out.lastIndexOf("}") + 1);
    // The explorer itself failed (a mutant that breaks loading, say): not a catch by a check.
    if (!json)
      return {
        mutant,
        caught: false,
        by: `explorer exited ${code} without a report`,
        schedules: 0,
        wallMs: performance.now() - started,
      };
    const report = JSON.parse(json || "{}") as {
      schedules?: number;
      failures?: { seed: number; violations: { guarantee: string; message: string }[] }[];
      overBound?: string[];
    };
    const first = report.failures?.[0];
    const over = report.overBound?.[0];
    if (!first && over)
      return {
        mutant,
        caught: true,
        by: `window bound: ${over}`,
        schedules: report.schedules ?? 0,
        wallMs: performance.now() - started,
      };
    // Caught only because DynamoDB refused the patched expression as malformed: the mutant did not show
    // what it claims to break (mutants 04 and 05 were "caught" this way until their patches were fixed).
    if (first?.violations.some((v) => v.guarantee === "invalid"))
      return {
        mutant,
        caught: false,
        by: `not a catch: DynamoDB refused the patched request as malformed (${first.violations[0]?.message.slice(0, 90)})`,
        seed: first.seed,
        schedules: report.schedules ?? 0,
        wallMs: performance.now() - started,
      };
    return {
      mutant,
      caught: first !== undefined,
      ...(first
        ? {
            by: `${first.violations[0]?.guarantee}: ${first.violations[0]?.message.slice(0, 110)}`,
            seed: first.seed,
          }
        : {}),
      schedules: report.schedules ?? 0,
      wallMs: performance.now() - started,
    };
  } finally {
    restore();
    process.removeListener("SIGINT", restoreAndExit);
    process.removeListener("SIGTERM", restoreAndExit);
  }
}
