import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import yazl from "yazl";

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/**
 * Every entry gets this timestamp. Built from local-time fields because the zip format stores local
 * time: the same bytes come out in every time zone.
 */
const fixedTime = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Writes a zip whose bytes depend only on the entries: sorted names, fixed timestamps and modes. Two
 * builds of unchanged code give the same zip, so `filebase64sha256` does not change and Terraform does
 * not redeploy.
 */
export async function writeDeterministicZip(path: string, entries: readonly ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const entry of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    zip.addBuffer(entry.data, entry.name, { mtime: fixedTime, mode: 0o100644, compress: true });
  }
  zip.end();
  await finished(zip.outputStream.pipe(createWriteStream(path)));
}
