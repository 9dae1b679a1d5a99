/**
 * The outline of an HCL file: which lines open a block (`name "label" {`, `dynamic "name" {`) or set an
 * argument (`name = ...`), nested as in the file. @cdktf/hcl2json gives no line numbers and writes a block
 * and a list-of-objects argument alike, so findings use this to say where, and which of the two was written.
 */
export interface OutlineItem {
  name: string;
  kind: "argument" | "block" | "dynamic";
  labels: string[];
  /** 1-based line number. */
  line: number;
  children: OutlineItem[];
}

/** For each line: bracket depth at its start, and whether it starts inside a string, heredoc or comment. */
function lineDepths(source: string): Array<{ depth: number; opaque: boolean }> {
  const lines: Array<{ depth: number; opaque: boolean }> = [{ depth: 0, opaque: false }];
  // Open string and template contexts: a string, or a `${`/`%{` template counting its own braces.
  const stack: Array<{ kind: "string" } | { kind: "template"; braces: number }> = [];
  let depth = 0;
  let blockComment = false;
  let heredoc: string | undefined;
  let i = 0;
  const newline = () => {
    lines.push({ depth, opaque: stack.length > 0 || blockComment || heredoc !== undefined });
  };
  while (i < source.length) {
    const ch = source[i] as string;
    const next = source[i + 1];
    if (ch === "\n") {
      i++;
      if (heredoc !== undefined) {
        const end = source.indexOf("\n", i);
        const line = source.slice(i, end === -1 ? source.length : end);
        if (line.trim() === heredoc) {
          heredoc = undefined;
          newline();
          lines[lines.length - 1] = { depth, opaque: true };
          i = end === -1 ? source.length : end;
          continue;
        }
      }
      newline();
      continue;
    }
    if (heredoc !== undefined) {
      i++;
      continue;
    }
    if (blockComment) {
      if (ch === "*" && next === "/") {
        blockComment = false;
        i += 2;
      } else i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top?.kind === "string") {
      if (ch === "\\") i += 2;
      else if (ch === '"') {
        stack.pop();
        i++;
      } else if ((ch === "$" || ch === "%") && next === "{") {
        stack.push({ kind: "template", braces: 0 });
        i += 2;
      } else i++;
      continue;
    }
    if (ch === "#" || (ch === "/" && next === "/")) {
      const end = source.indexOf("\n", i);
      i = end === -1 ? source.length : end;
      continue;
    }
    if (ch === "/" && next === "*") {
      blockComment = true;
      i += 2;
      continue;
    }
    if (ch === '"') {
      stack.push({ kind: "string" });
      i++;
      continue;
    }
    const marker = ch === "<" && next === "<" ? /^<<-?([A-Za-z_]\w*)[ \t]*\r?\n/.exec(source.slice(i)) : null;
    if (marker) {
      heredoc = marker[1];
      i += marker[0].length - 1; // stop at the newline, which starts the heredoc's first line
      continue;
    }
    if (top?.kind === "template") {
      if (ch === "{") top.braces++;
      else if (ch === "}") {
        if (top.braces === 0) stack.pop();
        else top.braces--;
      }
      i++;
      continue;
    }
    if (ch === "{" || ch === "[" || ch === "(") depth++;
    else if (ch === "}" || ch === "]" || ch === ")") depth--;
    i++;
  }
  return lines;
}

const dynamicLine = /^\s*dynamic\s+"([\w-]+)"\s*\{/;
const blockLine = /^\s*([A-Za-z_][\w-]*)((?:\s+"[^"]*")*)\s*\{/;
const argumentLine = /^\s*([A-Za-z_][\w-]*)\s*=(?!=)/;

export function outline(source: string): OutlineItem[] {
  const text = source.split("\n");
  const depths = lineDepths(source);
  const items = (from: number, to: number, depth: number): OutlineItem[] => {
    const out: OutlineItem[] = [];
    for (let n = from; n < to; n++) {
      const at = depths[n];
      const line = text[n] ?? "";
      if (!at || at.opaque || at.depth !== depth) continue;
      const dynamic = dynamicLine.exec(line);
      const block = dynamic ? null : blockLine.exec(line);
      if (dynamic || block) {
        let end = n + 1;
        while (end < to && (depths[end]?.depth ?? 0) > depth) end++;
        out.push({
          name: (dynamic?.[1] ?? block?.[1]) as string,
          kind: dynamic ? "dynamic" : "block",
          labels: [...(block?.[2] ?? "").matchAll(/"([^"]*)"/g)].map((m) => m[1] as string),
          line: n + 1,
          children: items(n + 1, end, depth + 1),
        });
        n = end - 1;
        continue;
      }
      const argument = argumentLine.exec(line);
      if (argument)
        out.push({ name: argument[1] as string, kind: "argument", labels: [], line: n + 1, children: [] });
    }
    return out;
  };
  return items(0, text.length, 0);
}
