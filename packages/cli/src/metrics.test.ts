import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { metricSum, parseSettings, resourceNames } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import { metricsFlags, parseFlags } from "./flags.ts";
import { cloudWatchTotals, metricsSourceOf, readFunctionLogs } from "./metrics.ts";
import { run } from "./program.ts";
import { noAwsContext, testIo } from "./testing.ts";

const names = resourceNames(parseSettings({}));
const emf = (fn: string, values: Record<string, number>, timestamp = Date.now()) =>
  JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: "Fanout",
          Dimensions: [["function"]],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: "Count" })),
        },
      ],
    },
    function: fn,
    ...values,
  });
/** A line as the local Lambda service writes it to `<function>.log`. */
const fileLine = (fn: string, message: string) =>
  JSON.stringify({ time: new Date().toISOString(), function: fn, requestId: "r1", message });

describe("metrics flags", () => {
  it("reads --since as a duration", () => {
    expect(parseFlags(metricsFlags, { since: "15m" }, "fanout metrics").since).toBe(900_000);
    expect(parseFlags(metricsFlags, { since: "2d" }, "fanout metrics").since).toBe(172_800_000);
    expect(parseFlags(metricsFlags, {}, "fanout metrics")).toMatchObject({
      since: 3_600_000,
      source: "auto",
    });
  });

  it.each([
    ["--since", "5x", /--since must be a duration/],
    ["--since", "30s", /from 1m to 15d/],
    ["--since", "16d", /from 1m to 15d/],
    ["--source", "xray", /--source must be auto, logs or cloudwatch/],
  ])("refuses %s %s before reading anything (exit 2)", async (flag, value, message) => {
    const { io, stderr } = testIo();
    const code = await run(["metrics", flag, value], io, { createContext: noAwsContext });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(message);
  });
});

describe("metricsSourceOf", () => {
  it("reads the local stack's logs only when the CLI points at a local Lambda and at no CloudWatch", () => {
    expect(metricsSourceOf("auto", {})).toBe("cloudwatch");
    expect(metricsSourceOf("auto", { AWS_ENDPOINT_URL_LAMBDA: "http://127.0.0.1:3001" })).toBe("logs");
    expect(
      metricsSourceOf("auto", {
        AWS_ENDPOINT_URL_LAMBDA: "http://x",
        AWS_ENDPOINT_URL: "http://localstack:4566",
      }),
    ).toBe("cloudwatch");
    expect(metricsSourceOf("logs", {})).toBe("logs");
  });
});

describe("readFunctionLogs", () => {
  it("unwraps the local Lambda service's records and skips other lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "fanout-metrics-"));
    writeFileSync(
      join(dir, `${names.mainFunction}.log`),
      [
        fileLine(names.mainFunction, "START RequestId: r1 Version: $LATEST"),
        fileLine(names.mainFunction, JSON.stringify({ level: "INFO", message: "job enqueued" })),
        fileLine(names.mainFunction, emf("main", { TasksEnqueued: 3 })),
        '{"cut short',
        "",
      ].join("\n"),
    );
    // A raw EMF line (as CloudWatch Logs holds it) is read as it is.
    writeFileSync(join(dir, `${names.workerFunction}.log`), `${emf("worker", { TasksSucceeded: 2 })}\n`);
    const { lines, files } = readFunctionLogs(dir, names);
    expect(files).toBe(2);
    expect(lines).toHaveLength(3);
  });

  it("fails with a hint when the folder holds no function log", async () => {
    const { io, stderr } = testIo();
    const dir = mkdtempSync(join(tmpdir(), "fanout-metrics-empty-"));
    const code = await run(["metrics", "--source", "logs", "--log-dir", dir], io, {
      createContext: noAwsContext,
    });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/no function logs in .*start the local stack/);
  });
});

// No CloudWatch emulator is available here: the request is checked as built, and an answer shaped as
// GetMetricData's is summed.
describe("cloudWatchTotals", () => {
  it("asks for every metric and outcome under its dimensions, and sums the periods", async () => {
    const sent: GetMetricDataCommand[] = [];
    const client = {
      send: async (command: GetMetricDataCommand) => {
        sent.push(command);
        const queries = command.input.MetricDataQueries ?? [];
        const id = (name: string, stat: string, outcome?: string) =>
          queries.find(
            (q) =>
              q.MetricStat?.Metric?.MetricName === name &&
              q.MetricStat.Stat === stat &&
              (outcome === undefined ||
                q.MetricStat.Metric.Dimensions?.some((d) => d.Name === "outcome" && d.Value === outcome)),
          )?.Id;
        return {
          MetricDataResults: [
            { Id: id("TasksDispatched", "Sum"), Values: [7, 5] },
            { Id: id("InvokesFailed", "Sum", "permanent"), Values: [1] },
            { Id: id("TaskDuration", "Sum", "succeeded"), Values: [120] },
            { Id: id("TaskDuration", "SampleCount", "succeeded"), Values: [4] },
            { Id: id("TaskDuration", "Minimum", "succeeded"), Values: [10] },
            { Id: id("TaskDuration", "Maximum", "succeeded"), Values: [60] },
            { Id: id("TasksSucceeded", "Sum"), Values: [] },
          ],
        };
      },
    };
    const now = Date.parse("2026-12-01T12:00:00Z");
    const totals = await cloudWatchTotals(client as never, "FanoutTest", 3_600_000, now);
    expect(sent).toHaveLength(1);
    const input = sent[0]?.input;
    expect(input?.StartTime).toEqual(new Date(now - 3_600_000));
    // 23 count series (JobsSubmitted ×4 outcomes, EnqueueSteps ×4, InvokesFailed ×3, 12 without an outcome);
    // 3 timing series × 4 statistics.
    expect(input?.MetricDataQueries).toHaveLength(23 + 3 * 4);
    const dispatched = input?.MetricDataQueries?.find(
      (q) => q.MetricStat?.Metric?.MetricName === "TasksDispatched",
    );
    expect(dispatched?.MetricStat).toEqual({
      Metric: {
        Namespace: "FanoutTest",
        MetricName: "TasksDispatched",
        Dimensions: [{ Name: "function", Value: "consumer" }],
      },
      Period: 3600,
      Stat: "Sum",
    });
    expect(metricSum(totals, "TasksDispatched")).toBe(12);
    expect(metricSum(totals, "InvokesFailed", "permanent")).toBe(1);
    expect(totals.find((t) => t.name === "TaskDuration")).toMatchObject({
      dimensions: { function: "worker", outcome: "succeeded" },
      samples: 4,
      sum: 120,
      min: 10,
      max: 60,
    });
    expect(totals.some((t) => t.name === "TasksSucceeded")).toBe(false);
  });
});
