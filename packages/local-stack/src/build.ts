import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { functionNames, repoRoot, zipPathOf } from "./paths.ts";

/**
 * Builds the function zips through turbo (a cache hit when nothing changed), so the stack never runs a
 * stale bundle. Throws with turbo's output when the build fails.
 */
export function ensureBuilt(options: { quiet?: boolean } = {}): void {
  const result = spawnSync("turbo", ["run", "build", "--filter=./functions/*", "--output-logs=errors-only"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
  if (result.error || result.status !== 0) {
    throw new Error(
      `build failed: ${result.error?.message ?? ""}${result.stdout ?? ""}${result.stderr ?? ""}`.trim(),
    );
  }
  if (!options.quiet) process.stderr.write("functions built (turbo)\n");
  const missing = functionNames.filter((fn) => !existsSync(zipPathOf(fn)));
  if (missing.length > 0) throw new Error(`build produced no zip for: ${missing.join(", ")}`);
}
