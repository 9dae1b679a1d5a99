/**
 * What the explorer reached: per AWS call site of the shipped code (a stable name, `package/file.ts:function
 * service.Operation`, read from the async stack of the call), how many calls it made and how many got each
 * fault kind; per condition clause (a conditional write's condition, named by its call site, or S3's If-Match),
 * how often it let a write through and how often it refused one.
 */
export interface SiteCoverage {
  calls: number;
  faults: Record<string, number>;
}

export interface ClauseCoverage {
  passed: number;
  refused: number;
}

export interface CoverageReport {
  sites: Record<string, SiteCoverage>;
  clauses: Record<string, ClauseCoverage>;
}

export function emptyCoverage(): CoverageReport {
  return { sites: {}, clauses: {} };
}

export function countCall(report: CoverageReport, site: string, fault: string): void {
  const s = report.sites[site] ?? { calls: 0, faults: {} };
  report.sites[site] = s;
  s.calls += 1;
  if (fault !== "none") s.faults[fault] = (s.faults[fault] ?? 0) + 1;
}

export function countClause(report: CoverageReport, clause: string, passed: boolean): void {
  const c = report.clauses[clause] ?? { passed: 0, refused: 0 };
  report.clauses[clause] = c;
  if (passed) c.passed += 1;
  else c.refused += 1;
}

export function mergeCoverage(into: CoverageReport, from: CoverageReport): void {
  for (const [site, s] of Object.entries(from.sites)) {
    const t = into.sites[site] ?? { calls: 0, faults: {} };
    into.sites[site] = t;
    t.calls += s.calls;
    for (const [k, n] of Object.entries(s.faults)) t.faults[k] = (t.faults[k] ?? 0) + n;
  }
  for (const [clause, c] of Object.entries(from.clauses)) {
    const t = into.clauses[clause] ?? { passed: 0, refused: 0 };
    into.clauses[clause] = t;
    t.passed += c.passed;
    t.refused += c.refused;
  }
}

/**
 * Frames that are transport, not a call site: the SDK, the explorer, the shared client middleware, and the
 * conditional-write helper every transition calls (its caller is the site).
 */
const transport = [
  /\/node_modules\//,
  /\/packages\/chaos\//,
  /\/packages\/core\/src\/aws\.ts/,
  /\/packages\/job-state\/src\/table\.ts/,
  /^node:/,
];

/**
 * The call site of an AWS request, from the stack captured where the SDK hands it to the network: the
 * innermost named frame in the shipped packages (`packages/*` or `functions/*`), as `job-state/jobs.ts:cancelJob`.
 * Line numbers are left out so that the name survives edits elsewhere in the file.
 */
export function callSiteOf(stack: string | undefined): string {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = /^\s*at (?:async )?([^\s(]+) \((?:file:\/\/)?([^)]+?):\d+:\d+\)$/.exec(line);
    if (!m) continue;
    const [, fn = "", file = ""] = m;
    if (transport.some((re) => re.test(file))) continue;
    const where = /\/(packages|functions)\/([^/]+)\/(?:src\/)?(.+)$/.exec(file);
    if (!where) continue;
    const name = fn.replace(/^(Object|Array|Promise)\./, "");
    if (name === "<anonymous>" || name === "") continue;
    return `${where[2]}/${where[3]}:${name}`;
  }
  return "unknown";
}

/**
 * {@link callSiteOf} of the stack these frames would format to (`    at ${frame}` a line), formatting only the
 * frames whose file can give the answer: a frame without a file, in a transport file or outside `packages/*`
 * and `functions/*` is passed over by callSiteOf whatever its text.
 */
export function callSiteOfFrames(frames: readonly NodeJS.CallSite[]): string {
  for (const frame of frames) {
    const url = frame.getFileName();
    if (!url) continue;
    const file = url.startsWith("file://") ? url.slice("file://".length) : url;
    if (transport.some((re) => re.test(file))) continue;
    if (!/\/(packages|functions)\/([^/]+)\/(?:src\/)?(.+)$/.test(file)) continue;
    const site = callSiteOf(`\n    at ${frame.toString()}`);
    if (site !== "unknown") return site;
  }
  return "unknown";
}

/** Gaps: call sites that never got a fault, clauses never taken both ways, less those with a listed reason. */
export function coverageGaps(
  report: CoverageReport,
  reasons: { sites: Record<string, string>; clauses: Record<string, string> },
): { sitesWithoutFaults: string[]; oneSidedClauses: string[] } {
  return {
    sitesWithoutFaults: Object.entries(report.sites)
      .filter(([site, s]) => Object.keys(s.faults).length === 0 && reasons.sites[site] === undefined)
      .map(([site]) => site)
      .sort(),
    oneSidedClauses: Object.entries(report.clauses)
      .filter(([clause, c]) => (c.passed === 0 || c.refused === 0) && reasons.clauses[clause] === undefined)
      .map(([clause]) => clause)
      .sort(),
  };
}

/** `coverage: call sites N (without faults 0), clauses M (one-sided 0)`. */
export function coverageSummary(
  report: CoverageReport,
  gaps: { sitesWithoutFaults: string[]; oneSidedClauses: string[] },
): string {
  return `coverage: call sites ${Object.keys(report.sites).length} (without faults ${gaps.sitesWithoutFaults.length}), clauses ${Object.keys(report.clauses).length} (one-sided ${gaps.oneSidedClauses.length})`;
}

/** The whole table: one line per call site and per clause. */
export function coverageTable(report: CoverageReport): string[] {
  const lines = ["call site                                                              calls  faults"];
  for (const [site, s] of Object.entries(report.sites).sort(([a], [b]) => a.localeCompare(b))) {
    const faults = Object.entries(s.faults)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(`  ${site.padEnd(70)} ${String(s.calls).padStart(6)}  ${faults || "-"}`);
  }
  lines.push("condition clause                                                      passed refused");
  for (const [clause, c] of Object.entries(report.clauses).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${clause.padEnd(70)} ${String(c.passed).padStart(6)} ${String(c.refused).padStart(7)}`);
  return lines;
}
