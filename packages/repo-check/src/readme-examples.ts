import { type Finding, finding } from "@fanout/infra-check";

/** A fenced TypeScript block in a README, with the example file its marker names, if any. */
export interface TsBlock {
  /** 1-based line of the opening fence. */
  line: number;
  body: string;
  /** From `<!-- example: examples/name.ts -->` on the line before the fence. */
  file: string | undefined;
  /** Offsets of the body in the README, for rewriting it. */
  start: number;
  end: number;
}

const marker = /^<!-- example: (\S+) -->\s*$/;
const fence = /^```(ts|typescript)[ \t]*\n([\s\S]*?)^```/gm;

export function tsBlocks(readme: string): TsBlock[] {
  const blocks: TsBlock[] = [];
  for (const match of readme.matchAll(fence)) {
    const at = match.index;
    const before = readme.slice(0, at).trimEnd().split("\n");
    const previous = before[before.length - 1] ?? "";
    const start = at + (match[0].indexOf("\n") + 1);
    const body = match[2] ?? "";
    blocks.push({
      line: readme.slice(0, at).split("\n").length,
      body,
      file: marker.exec(previous)?.[1],
      start,
      end: start + body.length,
    });
  }
  return blocks;
}

/**
 * Every TypeScript block of a README is an example file (marked `<!-- example: examples/x.ts -->`)
 * embedded to the letter, every example file is embedded, and the package's tsconfig includes the
 * examples folder, so `pnpm typecheck` compiles what the README shows.
 */
export function checkReadmeExamples(input: {
  readmeFile: string;
  readme: string;
  /** Example files of the package, relative to the package folder, with their text. */
  examples: ReadonlyMap<string, string>;
  tsconfigInclude: readonly string[];
}): Finding[] {
  const check = "README examples";
  const findings: Finding[] = [];
  const embedded = new Set<string>();
  for (const block of tsBlocks(input.readme)) {
    const where = `${input.readmeFile}:${block.line}`;
    if (!block.file) {
      findings.push(
        finding(
          check,
          where,
          "a ts block that is not an example file: mark it <!-- example: examples/<name>.ts -->",
        ),
      );
      continue;
    }
    embedded.add(block.file);
    const text = input.examples.get(block.file);
    if (text === undefined) findings.push(finding(check, where, `names ${block.file}, which does not exist`));
    else if (text !== block.body) {
      findings.push(
        finding(
          check,
          where,
          `differs from ${block.file} (refresh: pnpm --filter @fanout/repo-check check --write)`,
        ),
      );
    }
  }
  for (const file of input.examples.keys()) {
    if (!embedded.has(file)) findings.push(finding(check, input.readmeFile, `does not embed ${file}`));
  }
  if (input.examples.size > 0 && !input.tsconfigInclude.includes("examples")) {
    findings.push(finding(check, input.readmeFile, 'the package tsconfig does not include "examples"'));
  }
  return findings;
}

/** The README with every marked block replaced by its example file's text. */
export function embedExamples(readme: string, examples: ReadonlyMap<string, string>): string {
  let out = readme;
  for (const block of tsBlocks(readme).reverse()) {
    const text = block.file ? examples.get(block.file) : undefined;
    if (text !== undefined) out = out.slice(0, block.start) + text + out.slice(block.end);
  }
  return out;
}
