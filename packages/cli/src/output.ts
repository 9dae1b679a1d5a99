import type { Output } from "./io.ts";

export function writeJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLine(out: Output, text = ""): void {
  out.write(`${text}\n`);
}

/**
 * Makes untrusted text (task names, error messages) safe for a terminal: control characters, which could
 * move the cursor or fake output lines, are shown escaped (`\n`, `\u001b`).
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Shortens to at most `max` characters (code points, so no emoji is cut in half), marking the cut with "…". */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** A plain text table: a header row, then one row per entry, columns padded to the widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (s: string) => Array.from(s).length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - width(c))))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Whole percent of `part` in `total`, rounded down so 100% means every task. */
export function percentOf(part: number, total: number): number {
  return total <= 0 ? 100 : Math.floor((part / total) * 100);
}
