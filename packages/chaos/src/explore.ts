import { createS3Client, openSource } from "@fanout/source";
import { type CoverageReport, coverageGaps, emptyCoverage, mergeCoverage } from "./coverage.ts";
import { coverageReasons } from "./coverage-reasons.ts";
import { DynamoEmulator, DynamoService } from "./dynamo.ts";
import { runSchedule, type ScheduleResult, type Violation } from "./scenario.ts";
import { windowsOverBound } from "./window-bounds.ts";

export interface ExploreOptions {
  /** First seed; schedule i runs seed + i. @default 1 */
  seed?: number;
  /** @default 500 */
  schedules?: number;
  /** Replay only these fault decisions (with one seed). */
  only?: ReadonlySet<number>;
  /** Shrink a failing schedule to the fewest faults that still fail. @default true */
  shrink?: boolean;
  /** Stop at the first failing schedule (how a mutant is run). */
  stopAtFirst?: boolean;
  onSchedule?: (result: ScheduleResult, index: number) => void;
}

export interface Failure {
  seed: number;
  violations: Violation[];
  /** Fault decisions of the shortest failing schedule found. */
  faults: { index: number; at: string; kind: string }[];
  replay: string;
}

export interface ExploreReport {
  schedules: number;
  tasks: number;
  faultsByKind: Record<string, number>;
  windows: Record<string, number>;
  failures: Failure[];
  wallMs: number;
  virtualMs: number;
  /** Calls and faults per call site, let-through and refused per condition clause (first runs only). */
  coverage: CoverageReport;
  /** Call sites without a fault and clauses taken one way only, less those with a listed reason. */
  gaps: { sitesWithoutFaults: string[]; oneSidedClauses: string[] };
  /** Windows met more often than their bound (`window-bounds.ts`) allows. */
  overBound: string[];
}

/** Runs schedules one after another on one DynamoDB emulator (each schedule has its own job ids). */
export async function explore(options: ExploreOptions = {}): Promise<ExploreReport> {
  const started = performance.now();
  const emulator = await DynamoEmulator.start();
  const dynamo = new DynamoService(emulator.endpoint);
  const checkClient = emulator.client();
  const report: ExploreReport = {
    schedules: 0,
    tasks: 0,
    faultsByKind: {},
    windows: {},
    failures: [],
    wallMs: 0,
    virtualMs: 0,
    coverage: emptyCoverage(),
    gaps: { sitesWithoutFaults: [], oneSidedClauses: [] },
    overBound: [],
  };
  let generation = 0;
  // A table of its own per run: table-wide reads (the notice outbox, the jobs index) must not see another
  // schedule's records, or a schedule would replay differently after others than alone.
  const run = async (seed: number, only?: ReadonlySet<number>) => {
    const tableName = `chaos-${generation++}`;
    await emulator.createTable(tableName);
    try {
      return await runSchedule({
        seed,
        dynamo,
        checkClient,
        tableName,
        ...(only ? { only } : {}),
      });
    } finally {
      await emulator.deleteTable(tableName);
    }
  };
  // An SDK client reads the shared config files before its first request of a kind (real I/O the simulated
  // world does not wait for): done once here, outside any schedule, so that every schedule replays alike.
  await openSource(createS3Client({ requestHandler: refusing }), { bucket: "warm-up", key: "k" }).catch(
    () => {},
  );
  try {
    const first = options.seed ?? 1;
    const count = options.schedules ?? 500;
    for (let i = 0; i < count; i++) {
      const seed = first + i;
      const result = await run(seed, options.only);
      report.schedules += 1;
      report.tasks += result.tasks;
      report.virtualMs += result.virtualMs;
      mergeCoverage(report.coverage, result.coverage);
      for (const [k, n] of Object.entries(result.faultsByKind))
        report.faultsByKind[k] = (report.faultsByKind[k] ?? 0) + n;
      for (const [k, n] of Object.entries(result.windows)) report.windows[k] = (report.windows[k] ?? 0) + n;
      options.onSchedule?.(result, i);
      if (result.violations.length === 0) continue;
      let faults = result.faults;
      let violations = result.violations;
      if (options.shrink !== false) {
        // Greedy: drop each fault in turn and keep it dropped while the schedule still fails.
        let keep = new Set(faults.map((f) => f.index));
        for (const f of [...faults].reverse()) {
          if (!keep.has(f.index)) continue;
          const trial = new Set(keep);
          trial.delete(f.index);
          const again = await run(seed, trial);
          if (again.violations.length > 0) {
            keep = trial;
            faults = again.faults;
            violations = again.violations;
          }
        }
      }
      report.failures.push({
        seed,
        violations,
        faults,
        replay: `pnpm chaos --seed ${seed} --schedules 1 --faults ${faults.map((f) => f.index).join(",") || "none"}`,
      });
      if (options.stopAtFirst) break;
    }
  } finally {
    checkClient.destroy();
    emulator.stop();
  }
  report.gaps = coverageGaps(report.coverage, coverageReasons);
  report.overBound = windowsOverBound(report.windows, report.schedules);
  report.wallMs = performance.now() - started;
  return report;
}

const refusing = {
  handle: () => Promise.reject(new Error("warm-up: no request is sent")),
  updateHttpClientConfig: () => {},
  httpHandlerConfigs: () => ({}),
  destroy: () => {},
} as unknown as NonNullable<Parameters<typeof createS3Client>[0]>["requestHandler"];
