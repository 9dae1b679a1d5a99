// One process of `explore({ workers })`: runs the seeds it is sent (its environment, set by the parent, is the
// simulated one before any function module loads), reports each schedule and then its whole report.
import type { ExploreOptions } from "./explore.ts";

process.once(
  "message",
  async (options: Omit<ExploreOptions, "only"> & { seeds: number[]; only?: number[] }) => {
    const { exploreHere } = await import("./explore.ts");
    const { only, ...rest } = options;
    const report = await exploreHere({
      ...rest,
      ...(only ? { only: new Set(only) } : {}),
      onSchedule: (r) => process.send?.({ schedule: { seed: r.seed, violations: r.violations } }),
    });
    process.send?.({ report }, () => process.exit(0));
  },
);
