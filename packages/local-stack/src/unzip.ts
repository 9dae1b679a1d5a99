import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { unzipSync } from "fflate";

/**
 * Unpacks a function zip into a folder, as Lambda unpacks it into /var/task, so the local stack runs
 * exactly the bytes that get deployed (not the build folder next to them).
 */
export function unpackZip(zipPath: string, targetDir: string): string[] {
  const entries = unzipSync(readFileSync(zipPath));
  rmSync(targetDir, { recursive: true, force: true });
  mkdirSync(targetDir, { recursive: true });
  const names = Object.keys(entries).sort();
  for (const name of names) {
    const path = normalize(join(targetDir, name));
    if (!path.startsWith(targetDir)) throw new Error(`${zipPath}: entry ${name} escapes the target folder`);
    if (name.endsWith("/")) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entries[name] ?? new Uint8Array());
  }
  return names;
}
