import { describe, expect, it } from "vitest";
import { explore } from "./explore.ts";
import { callFaultKinds } from "./faults.ts";
import { Prng } from "./prng.ts";

describe("fault explorer", () => {
  it("finds no violation of G1-G8 in the CI budget of 500 seeded schedules", async () => {
    const report = await explore({ seed: 1, schedules: 500 });
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
    ]) {
      expect(report.faultsByKind[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(report.failures.map((f) => `${f.replay}: ${JSON.stringify(f.violations)}`)).toEqual([]);
  });

  it("replays a schedule exactly from its seed", async () => {
    const a = await explore({ seed: 7, schedules: 2, shrink: false });
    const b = await explore({ seed: 7, schedules: 2, shrink: false });
    expect(b.faultsByKind).toEqual(a.faultsByKind);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect(b.tasks).toBe(a.tasks);
  });

  it("draws the same numbers from the same seed, and other numbers from another stream", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.float());
    expect(Array.from({ length: 5 }, () => b.float())).toEqual(xs);
    expect(new Prng(42).fork("x").float()).not.toBe(new Prng(42).fork("y").float());
  });
});
