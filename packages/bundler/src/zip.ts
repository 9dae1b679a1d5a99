import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import yazl from "yazl";

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/**
 * Every entry's timestamp: 1980-01-01 00:00, the earliest the zip format can hold. Built from local-time
 * fields, because yazl derives the DOS date and time (the only timestamp written, see below) from the
 * Date's local fields: so every time zone writes the same two 16-bit fields.
 */
const fixedTime = (): Date => new Date(1980, 0, 1, 0, 0, 0);

/** A regular file, rw-r--r--, whatever the umask (yazl writes it as given; no file is read from disk). */
const fileMode = 0o100644;

/** Sorts by UTF-16 code units, not by locale, so LANG/LC_ALL cannot change the order. */
const byName = (a: ZipEntry, b: ZipEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Writes a zip whose bytes depend only on the entries: sorted names, fixed timestamps and modes, and no
 * extended-timestamp extra field (`forceDosTimestamp`: yazl would otherwise store the mtime as UTC seconds,
 * which for a local-time date differs per time zone). Two builds of unchanged code give the same zip in any
 * time zone, locale or umask, so `filebase64sha256` does not change and Terraform does not redeploy
 * (docs/decisions/0502-reproducible-zips.md).
 */
export async function writeDeterministicZip(path: string, entries: readonly ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const entry of [...entries].sort(byName)) {
    zip.addBuffer(entry.data, entry.name, {
      mtime: fixedTime(),
      forceDosTimestamp: true,
      mode: fileMode,
      compress: true,
    });
  }
  zip.end();
  await finished(zip.outputStream.pipe(createWriteStream(path)));
}
