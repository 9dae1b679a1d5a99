import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { unzipSync } from "fflate";

/**
 * Unpacks a function zip into a folder, as Lambda unpacks it into /var/task, so the local stack runs
 * exactly the bytes that get deployed (not the build folder next to them). Refuses the whole zip, before
 * writing anything, when an entry would land outside the folder (zip slip: `../x`, `/x`, or a sibling
 * such as `../<folder>-evil/x`, which a prefix comparison of the paths lets through).
 */
export function unpackZip(zipPath: string, targetDir: string): string[] {
  const entries = unzipSync(readFileSync(zipPath));
  const root = resolve(targetDir);
  const names = Object.keys(entries).sort();
  const paths = names.map((name) => {
    const path = resolve(root, name);
    if (!isInside(root, path)) throw new Error(`${zipPath}: entry ${name} escapes the target folder`);
    return path;
  });
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  names.forEach((name, i) => {
    const path = paths[i] as string;
    if (name.endsWith("/")) return;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entries[name] ?? new Uint8Array());
  });
  return names;
}

/** Whether `path` is `root` or below it: its path relative to `root` neither climbs out nor is absolute. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
