import { type Finding, finding } from "@fanout/infra-check";
import type { Entry } from "./surface.ts";

/** Identifiers a Markdown text shows as code: in inline code spans and fenced blocks. */
export function codeIdentifiers(markdown: string): Set<string> {
  const found = new Set<string>();
  const fences = /^```[^\n]*\n([\s\S]*?)^```/gm;
  const withoutFences = markdown.replace(fences, (_all, body: string) => {
    for (const word of body.match(/[A-Za-z_$][\w$]*/g) ?? []) found.add(word);
    return "";
  });
  for (const span of withoutFences.match(/`[^`\n]+`/g) ?? []) {
    for (const word of span.match(/[A-Za-z_$][\w$]*/g) ?? []) found.add(word);
  }
  return found;
}

/** A package README names, as code, every name each of its entry points exports. */
export function checkReadmeNamesExports(
  readmeFile: string,
  readme: string | undefined,
  entries: readonly Entry[],
): Finding[] {
  const names = entries.flatMap((e) => e.names.map((name) => ({ name, specifier: e.specifier })));
  if (names.length === 0) return [];
  if (readme === undefined) return [finding("README names exports", readmeFile, "missing")];
  const shown = codeIdentifiers(readme);
  return names
    .filter(({ name }) => !shown.has(name))
    .map(({ name, specifier }) =>
      finding("README names exports", readmeFile, `does not name ${name} (exported by ${specifier})`),
    );
}
