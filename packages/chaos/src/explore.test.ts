import { describe, expect, it } from "vitest";
import { explore } from "./explore.ts";
import { callFaultKinds } from "./faults.ts";
import { applies, listMutants, unusedPlaceholders } from "./mutants.ts";
import { Prng } from "./prng.ts";

describe("fault explorer", () => {
  it("finds no violation of G1-G8 in the CI budget of 500 seeded schedules, reaching every call site and clause", async () => {
    const report = await explore({ seed: 1, schedules: 500, workers: 2 });
    console.info(
      `chaos: schedules ${report.schedules}, tasks ${report.tasks}, ${Math.round(report.wallMs / 1000)} s; faults ${JSON.stringify(report.faultsByKind)}; windows ${JSON.stringify(report.windows)}`,
    );
    // Every kind of fault was injected, so the budget explored them all.
    for (const kind of [
      ...callFaultKinds,
      "event-late",
      "event-duplicate",
      "event-duplicate-new-id",
      "init-failure",
      "process-crash",
      "sqs-duplicate",
      "clock-skew",
      "outage-server",
      "outage-throttle",
      "outage-refused",
      // The second round: a batch failing in part, and SDK attempts that keep failing after a fault.
      "partial",
      "retries-fail",
      // The third round: stale worker events held for their task's redispatch, which may be throttled.
      "event-until-redispatch",
      "overtaken-throttled",
    ]) {
      expect(report.faultsByKind[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(report.failures.map((f) => `${f.replay}: ${JSON.stringify(f.violations)}`)).toEqual([]);
    // Every call site got a fault and every condition clause was taken both ways (or has a listed reason),
    // and no window was met more often than its bound.
    expect(report.gaps).toEqual({ sitesWithoutFaults: [], oneSidedClauses: [] });
    expect(report.overBound).toEqual([]);
  });

  it("replays a schedule exactly from its seed", async () => {
    const a = await explore({ seed: 7, schedules: 2, shrink: false });
    const b = await explore({ seed: 7, schedules: 2, shrink: false });
    expect(b.faultsByKind).toEqual(a.faultsByKind);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect(b.tasks).toBe(a.tasks);
  });

  it("ends a worker that finishes no schedule in time, runs its seeds once more, and names the seed when it hangs again", async () => {
    // 0.05 s of real time is less than any schedule takes (a worker first starts its emulator), so both
    // the first process and the second one count as hung on the share's first seed.
    const run = explore({ seed: 3, schedules: 2, workers: 2, hangSeconds: 0.05 });
    await expect(run).rejects.toThrow(
      /finished no schedule in 0\.05 s of real time, on seed 3 \(replay: pnpm chaos --seed 3 --schedules 1\), after an earlier hang on seed 3/,
    );
  });

  it("draws the same numbers from the same seed, and other numbers from another stream", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.float());
    expect(Array.from({ length: 5 }, () => b.float())).toEqual(xs);
    expect(new Prng(42).fork("x").float()).not.toBe(new Prng(42).fork("y").float());
  });
});

describe("mutants (pnpm chaos --mutants)", () => {
  it("keeps at least 20 planted bugs, each saying what it breaks, each still applying to the shipped code", () => {
    const mutants = listMutants();
    expect(mutants.length).toBeGreaterThanOrEqual(20);
    expect(mutants.filter((m) => m.breaks.startsWith("(no")).map((m) => m.name)).toEqual([]);
    expect(mutants.filter((m) => !applies(m)).map((m) => m.name)).toEqual([]);
  });

  it("leaves no expression placeholder defined but unused (DynamoDB would refuse the request, not run the bug)", () => {
    expect(listMutants().flatMap((m) => unusedPlaceholders(m).map((u) => `${m.name}: ${u}`))).toEqual([]);
  });
});
