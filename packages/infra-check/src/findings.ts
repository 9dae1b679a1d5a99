/** One problem found by a check: which check, where, and what is wrong. */
export interface Finding {
  check: string;
  where: string;
  message: string;
}

export function finding(check: string, where: string, message: string): Finding {
  return { check, where, message };
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `[${f.check}] ${f.where}: ${f.message}`).join("\n");
}
