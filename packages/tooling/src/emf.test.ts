import { describe, expect, it } from "vitest";
import { emfData, metricSum, metricsTable, sumMetrics } from "./emf.ts";

// As Powertools Metrics writes them (one dimension set), and as another EMF writer may (two sets, arrays).
const lines: unknown[] = [
  {
    _aws: {
      Timestamp: 1_000,
      CloudWatchMetrics: [
        {
          Namespace: "Fanout",
          Dimensions: [["function"]],
          Metrics: [{ Name: "TasksDispatched", Unit: "Count" }],
        },
      ],
    },
    function: "consumer",
    TasksDispatched: 10,
  },
  {
    _aws: {
      Timestamp: 2_000,
      CloudWatchMetrics: [
        {
          Namespace: "Fanout",
          Dimensions: [["function"]],
          Metrics: [
            { Name: "TasksDispatched", Unit: "Count" },
            { Name: "ClaimsBusy", Unit: "Count" },
          ],
        },
      ],
    },
    function: "consumer",
    TasksDispatched: 5,
    ClaimsBusy: 2,
  },
  {
    _aws: {
      Timestamp: 3_000,
      CloudWatchMetrics: [
        {
          Namespace: "Fanout",
          Dimensions: [["function", "outcome"], ["function"]],
          Metrics: [{ Name: "TaskDuration", Unit: "Milliseconds" }],
        },
      ],
    },
    function: "worker",
    outcome: "succeeded",
    TaskDuration: [10, 30, 20],
  },
  { level: "INFO", message: "task succeeded", function: "worker" },
  { _aws: { Timestamp: "soon" } },
  { _aws: { Timestamp: 4_000, CloudWatchMetrics: [{ Namespace: "Other", Metrics: [{ Name: "X" }] }] }, X: 1 },
  "not an object",
];

describe("emfData", () => {
  it("reads each metric under each dimension set; other lines give nothing", () => {
    expect(emfData(lines[2])).toEqual([
      {
        namespace: "Fanout",
        name: "TaskDuration",
        unit: "Milliseconds",
        dimensions: { function: "worker", outcome: "succeeded" },
        values: [10, 30, 20],
        timestamp: 3_000,
      },
      expect.objectContaining({ dimensions: { function: "worker" }, values: [10, 30, 20] }),
    ]);
    expect(emfData(lines[3])).toEqual([]);
    expect(emfData(lines[4])).toEqual([]);
    expect(emfData(lines[6])).toEqual([]);
    expect(emfData(lines[5])).toEqual([
      { namespace: "Other", name: "X", unit: "None", dimensions: {}, values: [1], timestamp: 4_000 },
    ]);
  });
});

describe("sumMetrics", () => {
  it("sums by namespace, name and dimension values, in the catalogue's order", () => {
    const totals = sumMetrics(lines, { namespace: "Fanout" });
    expect(totals.map((t) => [t.name, t.dimensions, t.samples, t.sum, t.min, t.max])).toEqual([
      ["TasksDispatched", { function: "consumer" }, 2, 15, 5, 10],
      ["ClaimsBusy", { function: "consumer" }, 1, 2, 2, 2],
      ["TaskDuration", { function: "worker" }, 3, 60, 10, 30],
      ["TaskDuration", { function: "worker", outcome: "succeeded" }, 3, 60, 10, 30],
    ]);
    expect(metricSum(totals, "TasksDispatched")).toBe(15);
    expect(metricSum(totals, "TaskDuration", "succeeded")).toBe(60);
    expect(metricSum(totals, "TasksSucceeded")).toBe(0);
  });

  it("keeps records from `since` on", () => {
    const totals = sumMetrics(lines, { since: 2_000, namespace: "Fanout" });
    expect(metricSum(totals, "TasksDispatched")).toBe(5);
  });
});

describe("metricsTable", () => {
  it("lists every catalogue metric, 0 when absent, and samples for timings", () => {
    const table = metricsTable(sumMetrics([lines[0], lines[2]]));
    const rows = table.split("\n");
    expect(rows[0]).toMatch(/^metric\s+function\s+outcome\s+unit\s+value$/);
    expect(table).toMatch(/TasksDispatched\s+consumer\s+-\s+Count\s+10\n/);
    expect(table).toMatch(/JobsSubmitted\s+main\s+-\s+Count\s+0\n/);
    expect(table).toMatch(/TaskDuration\s+worker\s+succeeded\s+Milliseconds\s+3 samples, avg 20, max 30/);
    expect(table).toMatch(/EnqueueToStartLag\s+worker\s+-\s+Milliseconds\s+0 samples/);
    expect(rows).toHaveLength(1 + 17 + 1); // header, 17 metrics, TaskDuration twice
  });
});
