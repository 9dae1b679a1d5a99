import { fork } from "node:child_process";
import { createS3Client, openSource } from "@fanout/source";
import { type CoverageReport, coverageGaps, emptyCoverage, mergeCoverage } from "./coverage.ts";
import { coverageReasons } from "./coverage-reasons.ts";
import { DynamoEmulator, DynamoService } from "./dynamo.ts";
import { runSchedule, type ScheduleResult, type Violation } from "./scenario.ts";
import { simulatedEnvironment } from "./sim-env.ts";
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
  /**
   * Processes to spread the schedules over (each with its own emulator; seed i goes to process i mod n), so
   * that the budget uses every core. @default 1
   */
  workers?: number;
  /** Instead of `seed`..`seed + schedules - 1`: exactly these seeds (how a worker gets its share). */
  seeds?: number[];
  onSchedule?: (result: Pick<ScheduleResult, "seed" | "violations">, index: number) => void;
  /**
   * Real seconds a worker process may go without finishing a schedule before it counts as hung (with
   * `workers` > 1). A schedule's own time is virtual, so a hang is real I/O that never answered: the worker is
   * ended and its seeds run again in a new process; a second hang fails the run, naming the seed.
   * @default 600, or CHAOS_HANG_SECONDS
   */
  hangSeconds?: number;
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

/** Runs the schedules, in this process or spread over `workers` processes, and checks coverage and bounds. */
export async function explore(options: ExploreOptions = {}): Promise<ExploreReport> {
  const started = performance.now();
  const first = options.seed ?? 1;
  const seeds = options.seeds ?? Array.from({ length: options.schedules ?? 500 }, (_, i) => first + i);
  const workers = Math.max(1, Math.min(options.workers ?? 1, seeds.length));
  // With stopAtFirst, the first failure any worker reports stops the others.
  const stop = new AbortController();
  const report =
    workers === 1
      ? await exploreHere({ ...options, seeds })
      : mergeReports(
          await Promise.all(
            Array.from({ length: workers }, (_, w) =>
              exploreShare({ ...options, seeds: seeds.filter((_, i) => i % workers === w) }, stop),
            ),
          ),
        );
  report.failures.sort((a, b) => a.seed - b.seed);
  report.gaps = coverageGaps(report.coverage, coverageReasons);
  report.overBound = windowsOverBound(report.windows, report.schedules);
  report.wallMs = performance.now() - started;
  return report;
}

function mergeReports(reports: ExploreReport[]): ExploreReport {
  const into = emptyReport();
  for (const r of reports) {
    into.schedules += r.schedules;
    into.tasks += r.tasks;
    into.virtualMs += r.virtualMs;
    into.failures.push(...r.failures);
    for (const [k, n] of Object.entries(r.faultsByKind))
      into.faultsByKind[k] = (into.faultsByKind[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.windows)) into.windows[k] = (into.windows[k] ?? 0) + n;
    mergeCoverage(into.coverage, r.coverage);
  }
  return into;
}

function emptyReport(): ExploreReport {
  return {
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
}

/** A worker process that finished no schedule for `hangSeconds` of real time. */
export class WorkerHungError extends Error {
  readonly seed: number | undefined;
  constructor(seed: number | undefined, seconds: number) {
    super(
      `explorer worker finished no schedule in ${seconds} s of real time, on seed ${seed ?? "(none: all done)"}` +
        ` (replay: pnpm chaos --seed ${seed} --schedules 1)`,
    );
    this.name = "WorkerHungError";
    this.seed = seed;
  }
}

/**
 * A worker's share of the seeds. Every schedule is deterministic in virtual time, so a worker that stops making
 * progress waits on real I/O (the emulator's process): its seeds run once more in a new process. A second hang
 * is reported, not retried: a schedule that hangs twice is a bug to replay (its seed is in the error).
 */
async function exploreShare(
  options: ExploreOptions & { seeds: number[] },
  stop: AbortController,
): Promise<ExploreReport> {
  try {
    return await exploreInWorker(options, stop);
  } catch (error) {
    if (!(error instanceof WorkerHungError)) throw error;
    const n = options.seeds.length;
    console.error(`${error.message}; running its ${n} seed${n === 1 ? "" : "s"} again in a new process`);
    try {
      return await exploreInWorker(options, stop);
    } catch (again) {
      if (!(again instanceof WorkerHungError)) throw again;
      // The run has failed: the other workers stop now rather than finish their shares.
      stop.abort();
      throw new Error(`${again.message}, after an earlier hang on seed ${error.seed}`, { cause: again });
    }
  }
}

/** One worker process (`explore-worker.ts`) running its seeds; its progress comes back as messages. */
function exploreInWorker(
  options: ExploreOptions & { seeds: number[] },
  stop: AbortController,
): Promise<ExploreReport> {
  return new Promise((resolve, reject) => {
    // No inherited exec arguments: under vitest they would load its runner into the worker.
    const child = fork(new URL("./explore-worker.ts", import.meta.url), [], {
      execArgv: [],
      env: { ...process.env, ...simulatedEnvironment(process.env.CHAOS_LOG_LEVEL) },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    let done = 0;
    let resolved = false;
    const hangSeconds = options.hangSeconds ?? Number(process.env.CHAOS_HANG_SECONDS ?? 600);
    const watchdog = setTimeout(() => {
      if (resolved) return;
      resolved = true;
      child.kill("SIGKILL");
      reject(new WorkerHungError(options.seeds[done], hangSeconds));
    }, hangSeconds * 1000);
    const stopped = () => {
      // Another worker failed first: this one's schedules so far count, its report is not awaited.
      if (resolved) return;
      resolved = true;
      clearTimeout(watchdog);
      child.kill();
      resolve({ ...emptyReport(), schedules: done });
    };
    stop.signal.addEventListener("abort", stopped);
    child.on(
      "message",
      (m: { schedule?: { seed: number; violations: Violation[] }; report?: ExploreReport }) => {
        if (m.schedule) {
          watchdog.refresh();
          options.onSchedule?.(m.schedule, done++);
          if (options.stopAtFirst && m.schedule.violations.length > 0) {
            stop.signal.removeEventListener("abort", stopped);
            stop.abort();
          }
        }
        if (m.report && !resolved) {
          resolved = true;
          clearTimeout(watchdog);
          resolve(m.report);
        }
      },
    );
    child.on("error", (error) => {
      clearTimeout(watchdog);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(watchdog);
      if (!resolved) reject(new Error(`explorer worker exited (${code}) before its report`));
    });
    const { onSchedule: _, only, ...plain } = options;
    child.send({ ...plain, ...(only ? { only: [...only] } : {}) });
  });
}

/** Runs schedules one after another on one DynamoDB emulator (each schedule has its own table). */
export async function exploreHere(options: ExploreOptions & { seeds: number[] }): Promise<ExploreReport> {
  const emulator = await DynamoEmulator.start();
  const dynamo = new DynamoService(emulator);
  const checkClient = emulator.client();
  const report = emptyReport();
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
    for (const [i, seed] of options.seeds.entries()) {
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
  return report;
}

const refusing = {
  handle: () => Promise.reject(new Error("warm-up: no request is sent")),
  updateHttpClientConfig: () => {},
  httpHandlerConfigs: () => ({}),
  destroy: () => {},
} as unknown as NonNullable<Parameters<typeof createS3Client>[0]>["requestHandler"];
