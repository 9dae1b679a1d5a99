import { explore } from "./explore.ts";

export async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = Number(arg("--seed") ?? 1);
  const schedules = Number(arg("--schedules") ?? 500);
  const faults = arg("--faults");
  const only =
    faults === undefined ? undefined : new Set(faults === "none" ? [] : faults.split(",").map(Number));
  const report = await explore({
    seed,
    schedules,
    ...(only ? { only } : {}),
    shrink: !process.env.CHAOS_NO_SHRINK,
    onSchedule: (r, i) => {
      if (r.violations.length > 0 || process.env.CHAOS_VERBOSE)
        console.log(
          `schedule ${i} seed ${r.seed}: ${r.tasks} tasks, ${r.faults.length} faults, ${r.violations.length} violations ${JSON.stringify(r.violations)}`,
        );
    },
  });
  console.log(JSON.stringify(report, null, 2));
  console.log(`schedules ${report.schedules}, violations ${report.failures.length}`);
  return report.failures.length > 0 ? 1 : 0;
}
