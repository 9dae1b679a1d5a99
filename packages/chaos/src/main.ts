import { availableParallelism } from "node:os";
import cliProgress from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { coverageSummary, coverageTable } from "./coverage.ts";
import { explore } from "./explore.ts";

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const faultList = (value: string) => {
  if (value === "none") return new Set<number>();
  const list = value.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 0))
    throw new InvalidArgumentError("--faults takes fault indexes like 3,17,40 (or none)");
  return new Set(list);
};

/** `pnpm chaos [--seed N] [--schedules N] [--faults i,j,k] [--json]`; exit 1 on any violation. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("chaos")
    .description("Explore seeded fault schedules over the real fanout functions and check G1-G6.")
    .option("--seed <n>", "first seed (schedule i runs seed + i)", positive("--seed"), 1)
    .option("--schedules <n>", "how many schedules to run", positive("--schedules"), 500)
    .option("--faults <list>", "inject only these fault indexes (replay of a shrunk schedule)", faultList)
    .option("--no-shrink", "report a failing schedule as it is, without shrinking it")
    .option("--json", "print the whole report as JSON")
    .option(
      "--coverage",
      "print the whole coverage table (calls and faults per call site, clauses both ways)",
    )
    .option("--stop-at-first", "stop at the first failing schedule")
    .option(
      "--workers <n>",
      "processes to spread the schedules over (each with its own emulator)",
      positive("--workers"),
      Math.min(2, availableParallelism()),
    )
    .option("--mutants", "instead: run the budget against each planted bug in mutants/, one at a time")
    .option("--mutant <name>", "with --mutants: only the mutants whose name contains this")
    .option("--check-mutants", "instead: check that every mutant patch still applies (what CI runs)")
    .option("--stack", "instead: a job on the local stack while processes are killed and emulators paused")
    .option("--tasks <n>", "with --stack: tasks in the job", positive("--tasks"), 2000)
    .option("--chaos-seconds <n>", "with --stack: how long to inject faults", positive("--chaos-seconds"), 60)
    .option(
      "--speed <n>",
      "with --stack: Lambda retry delays and the schedule this many times faster",
      positive("--speed"),
      1,
    )
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const flags = program.opts<{
    seed: number;
    schedules: number;
    faults?: Set<number>;
    shrink: boolean;
    json?: boolean;
    coverage?: boolean;
    stopAtFirst?: boolean;
    workers: number;
    mutants?: boolean;
    mutant?: string;
    checkMutants?: boolean;
    stack?: boolean;
    tasks: number;
    chaosSeconds: number;
    speed: number;
  }>();
  if (flags.mutants || flags.checkMutants) {
    const { applies, listMutants, runMutant } = await import("./mutants.ts");
    const all = listMutants().filter((m) => !flags.mutant || m.name.includes(flags.mutant));
    if (flags.checkMutants) {
      const stale = all.filter((m) => !applies(m));
      for (const m of stale) console.log(`does not apply: ${m.name}`);
      console.log(`mutants ${all.length}, applying ${all.length - stale.length}`);
      return stale.length === 0 ? 0 : 1;
    }
    console.log(`mutant                                     breaks / caught by (seed)`);
    let caught = 0;
    for (const m of all) {
      const r = await runMutant(m, { seed: flags.seed, schedules: flags.schedules });
      if (r.caught) caught += 1;
      console.log(
        `${m.name.padEnd(42)} ${r.caught ? "CAUGHT" : "SURVIVED"} after ${r.schedules} schedules, ${Math.round(r.wallMs / 1000)} s\n${"".padEnd(43)}breaks: ${m.breaks}\n${"".padEnd(43)}${r.caught ? `caught by ${r.by} (seed ${r.seed})` : (r.by ?? "no violation")}`,
      );
    }
    console.log(`mutants ${all.length}, caught ${caught}`);
    return caught === all.length ? 0 : 1;
  }
  if (flags.stack) {
    const { stackChaos } = await import("./stack-chaos.ts");
    const report = await stackChaos({
      tasks: flags.tasks,
      seed: flags.seed,
      chaosSeconds: flags.chaosSeconds,
      settleSeconds: 900,
      speed: flags.speed,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(JSON.stringify(report, null, 2));
    console.log(
      `stack chaos: ${report.succeeded}/${report.tasks} succeeded, ${report.succeededTwice} run twice, recovery ${report.recovery ?? "none"}: ${report.ok ? "OK" : "FAILED"}`,
    );
    return report.ok ? 0 : 1;
  }
  // A bar on a terminal; off one, a line every 10 s.
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: "{bar} {value}/{total} schedules | {violations} violations | {eta_formatted} left",
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(flags.schedules, 0, { violations: 0 });
  let lastLine = Date.now();
  let violations = 0;
  const report = await explore({
    seed: flags.seed,
    schedules: flags.schedules,
    shrink: flags.shrink,
    // A replay of chosen faults runs one seed: one process.
    workers: flags.faults ? 1 : flags.workers,
    ...(flags.stopAtFirst ? { stopAtFirst: true } : {}),
    ...(flags.faults ? { only: flags.faults } : {}),
    onSchedule: (r, i) => {
      if (r.violations.length > 0) {
        violations += 1;
        const line = `seed ${r.seed}: ${r.violations.map((v) => `${v.guarantee} ${v.message}`).join("; ")}\n`;
        // Above the bar, which redraws below it.
        process.stderr.write(bar ? `\r\x1b[K${line}` : line);
      }
      bar?.update(i + 1, { violations });
      if (!bar && (i + 1 === flags.schedules || Date.now() - lastLine > 10_000)) {
        lastLine = Date.now();
        process.stderr.write(`${i + 1}/${flags.schedules} schedules, ${violations} violations\n`);
      }
    },
  });
  bar?.stop();
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      `tasks ${report.tasks}, virtual time ${Math.round(report.virtualMs / 3_600_000)} h, wall time ${Math.round(report.wallMs / 1000)} s`,
    );
    console.log("faults injected by kind:");
    for (const [kind, n] of Object.entries(report.faultsByKind).sort())
      console.log(`  ${kind.padEnd(24)} ${n}`);
    console.log("allowed windows (named in docs/decisions/0008-fault-explorer.md):");
    for (const [kind, n] of Object.entries(report.windows).sort()) console.log(`  ${n}  ${kind}`);
    for (const f of report.failures) {
      console.log(
        `violation, seed ${f.seed}: ${f.violations.map((v) => `${v.guarantee} ${v.message}`).join("; ")}`,
      );
      console.log(
        `  shortest failing schedule: ${f.faults.map((x) => `${x.index}:${x.kind}@${x.at}`).join(" ") || "(no faults)"}`,
      );
      console.log(`  replay: ${f.replay}`);
    }
  }
  // The coverage the CI budget must reach (a shorter run cannot be held to it).
  const enforced = report.schedules >= 500;
  if (!flags.json) {
    if (flags.coverage) for (const line of coverageTable(report.coverage)) console.log(line);
    for (const s of report.gaps.sitesWithoutFaults) console.log(`call site without a fault: ${s}`);
    for (const c of report.gaps.oneSidedClauses) console.log(`clause taken one way only: ${c}`);
    for (const o of report.overBound) console.log(o);
    console.log(coverageSummary(report.coverage, report.gaps));
  }
  const gaps = enforced && report.gaps.sitesWithoutFaults.length + report.gaps.oneSidedClauses.length > 0;
  console.log(`schedules ${report.schedules}, violations ${report.failures.length}`);
  return report.failures.length > 0 || report.overBound.length > 0 || gaps ? 1 : 0;
}
