import { jobLimits } from "./limits.ts";

/**
 * Names that break naive JSON handling (the original sample built messages by string substitution):
 * quotes, backslashes, control characters, emoji, Japanese, an injection attempt, and size extremes.
 * Used by tests and by the demo, so both exercise the same hostile input.
 */
export function hostileNames(): string[] {
  const exact = "あ".repeat(Math.floor(jobLimits.maxNameBytes / 3)); // 3 bytes each in UTF-8
  const pad = "x".repeat(jobLimits.maxNameBytes - Buffer.byteLength(exact, "utf8"));
  return [
    'say "hello"',
    "back\\slash \\n not a newline",
    "line one\nline two\r\nline three",
    "tab\tseparated\tvalues",
    "emoji 🚀🔥👩‍👩‍👧‍👦",
    "日本語の名前、テスト",
    '", "name": "x',
    '{"name":"nested"}',
    "\u0000\u0001\u001f control",
    "noncharacters \uFFFE \uFFFF",
    " leading and trailing spaces ",
    "k".repeat(10_240),
    exact + pad, // exactly maxNameBytes bytes
  ];
}
