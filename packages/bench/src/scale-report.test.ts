import { parseSettings } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import type { ScaleEndToEnd } from "./scale-e2e.ts";
import type { ScaleOutCell, ScaleOutResult } from "./scale-out.ts";
import { modelInput, type ScaleResults, scaleOutChart, scaleRows } from "./scale-report.ts";

const settings = parseSettings({});

const cell = (consumers: number, tasksPerSecond: number, machineBusyPercent = 50): ScaleOutCell => ({
  consumers,
  tasks: consumers * 100,
  dispatched: consumers * 100,
  seconds: 1,
  tasksPerSecond,
  benchInvokes: 1,
  consumerRuns: consumers,
  complete: true,
  cpu: { cpuPercent: 50, machineBusyPercent, cores: 2, otherPercent: 0 },
  timeline: [],
});

const scaleOut = (cells: ScaleOutCell[]): ScaleOutResult => ({
  mode: "self-scale",
  latencyMs: 100,
  tasksPerConsumer: 100,
  cells,
});

const e2e = (over: Partial<ScaleEndToEnd> = {}): ScaleEndToEnd => ({
  tasks: 100_000,
  latencyMs: 0,
  jobs: 1,
  jobBytes: 2_000_000,
  succeeded: 100_000,
  failed: 0,
  wallSeconds: 400,
  tasksPerSecond: 250,
  enqueueSeconds: 20,
  exact: true,
  ranTwice: 0,
  neverRan: 0,
  completed: [],
  peaks: [{ name: "fanout-main", peakRssMb: 180, processes: 1 }],
  reportedMaxMemoryMb: {},
  memoryMb: { main: 256, consumer: 1769, worker: 256 },
  cpu: { cpuPercent: 150, machineBusyPercent: 80, cores: 2 },
  requestsPerTask: {
    "DynamoDB.UpdateItem": 5,
    "DynamoDB.GetItem": 1,
    "Lambda.Invoke": 1,
    "SQS.ReceiveMessage": 0.1,
  },
  workerBilledMs: 40,
  consumerBilledMs: 100_000,
  consumerRuns: 10,
  ...over,
});

const statusOf = (rows: ReturnType<typeof scaleRows>, section: string, metric: RegExp) =>
  rows.find((r) => r.section === section && metric.test(r.metric))?.status;

describe("scaleRows", () => {
  it("passes scale-out cells at ≥ 0.7 of linear and misses below, with no target for 1 consumer", () => {
    const rows = scaleRows(
      { scaleOut: scaleOut([cell(1, 100), cell(2, 190), cell(4, 260), cell(8, 700)]), unmeasured: {} },
      settings,
    );
    expect(statusOf(rows, "scale-out", /^1 consumer /)).toBe("");
    expect(statusOf(rows, "scale-out", /^2 consumers/)).toBe("pass");
    expect(statusOf(rows, "scale-out", /^4 consumers/)).toBe("miss"); // 0.65
    expect(statusOf(rows, "scale-out", /^8 consumers/)).toBe("pass"); // 0.875
  });

  it("says so when a flat part of the curve ran with the machine's CPU saturated", () => {
    const rows = scaleRows(
      { scaleOut: scaleOut([cell(1, 100), cell(4, 150, 97)]), unmeasured: {} },
      settings,
    );
    expect(rows.some((r) => r.metric.startsWith("note: the curve flattens"))).toBe(true);
  });

  it("judges the large job on exactness and tasks/s separately", () => {
    const slow = scaleRows({ e2e: e2e({ tasksPerSecond: 150 }), unmeasured: {} }, settings);
    expect(statusOf(slow, "e2e", /^tasks\/s/)).toBe("miss");
    expect(statusOf(slow, "e2e", /^every task exact/)).toBe("pass");
    const lost = scaleRows({ e2e: e2e({ exact: false, neverRan: 3 }), unmeasured: {} }, settings);
    expect(statusOf(lost, "e2e", /^every task exact/)).toBe("miss");
  });

  it("prints a section without figures as not measured, with its reason, never as a number", () => {
    const results: ScaleResults = {
      unmeasured: { source: { notMeasured: "section not run" }, ceiling: { failed: "stack died" } },
    };
    const rows = scaleRows(results, settings);
    const source = rows.find((r) => r.section === "source");
    expect(source?.ours).toBe("not measured (section not run)");
    expect(source?.status).toBe("n/a");
    expect(rows.find((r) => r.section === "ceiling")?.ours).toBe("failed (stack died)");
    expect(rows.find((r) => r.section === "ceiling")?.status).toBe("miss");
  });
});

describe("modelInput", () => {
  it("takes one run's AWS rate from the 1-consumer cell, capped by the 0 ms rate, and units from the e2e job", () => {
    const input = modelInput({ scaleOut: scaleOut([cell(1, 40)]), e2e: e2e() }, settings, {
      tasks: 1_000_000,
      awsLatencyMs: 10,
      consumers: [1, 4],
    });
    expect(input?.perConsumerRate).toBe(400); // 40/s at 100 ms × 100/10
    expect(input?.writeUnitsPerTask).toBe(5);
    expect(input?.hotItemReadsPerTask).toBe(1);
    expect(input?.inFlightPerConsumer).toBe(
      settings.consumer.pollers * 10 + settings.consumer.dispatch_concurrency,
    );
    expect(
      modelInput({ e2e: e2e() }, settings, { tasks: 1, awsLatencyMs: 10, consumers: [1] }),
    ).toBeUndefined();
  });
});

describe("scaleOutChart", () => {
  it("draws the measured curve, linear scaling and the target line", () => {
    const svg = scaleOutChart(scaleOut([cell(1, 100), cell(2, 190)]));
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(svg).toContain("linear (N × 1 consumer)");
  });
});
