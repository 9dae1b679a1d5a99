import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { type MetricName, metricCatalogue } from "@fanout/core";
import { type MetricTotal, metricsTable, type ResourceNames, sumMetrics } from "@fanout/tooling";
import { type CliContext, repoRoot } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import type { MetricsFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { writeJson, writeLine } from "./output.ts";

/** Where the local stack's Lambda service writes `<function name>.log` (JSON lines). */
export const defaultLogDir = resolve(repoRoot, ".fanout/logs");

export type MetricsSource = "logs" | "cloudwatch";

/**
 * `--source auto`: the function logs of the local stack when the CLI points at a local Lambda endpoint
 * (AWS_ENDPOINT_URL_LAMBDA) and at no CloudWatch endpoint; CloudWatch otherwise (AWS, or an emulator reached
 * through AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_CLOUDWATCH).
 */
export function metricsSourceOf(
  flag: MetricsFlags["source"],
  env: NodeJS.ProcessEnv = process.env,
): MetricsSource {
  if (flag !== "auto") return flag;
  if (env.AWS_ENDPOINT_URL_CLOUDWATCH || env.AWS_ENDPOINT_URL) return "cloudwatch";
  return env.AWS_ENDPOINT_URL_LAMBDA ? "logs" : "cloudwatch";
}

/**
 * The parsed log lines of the three functions from the local Lambda service's files: each file line is a
 * record `{ time, function, requestId, message }` whose `message` is what the function wrote (a raw JSON
 * line, as CloudWatch Logs holds it, is read as it is).
 */
export function readFunctionLogs(logDir: string, names: ResourceNames): { lines: unknown[]; files: number } {
  const lines: unknown[] = [];
  let files = 0;
  for (const fn of [names.mainFunction, names.consumerFunction, names.workerFunction]) {
    const file = resolve(logDir, `${fn}.log`);
    if (!existsSync(file)) continue;
    files += 1;
    for (const text of readFileSync(file, "utf8").split("\n")) {
      if (!text.startsWith("{")) continue;
      try {
        const record = JSON.parse(text) as { message?: unknown; _aws?: unknown };
        if (record._aws !== undefined || typeof record.message !== "string") lines.push(record);
        else if (record.message.startsWith("{")) lines.push(JSON.parse(record.message));
      } catch {
        // a line cut short by a crash, or plain text that starts with {
      }
    }
  }
  return { lines, files };
}

/** Every (metric, outcome) the functions emit, with the dimensions CloudWatch files it under. */
function catalogueSeries(): { name: MetricName; dimensions: Record<string, string> }[] {
  return (Object.keys(metricCatalogue) as MetricName[]).flatMap((name) => {
    const spec = metricCatalogue[name];
    const outcomes: readonly string[] = spec.outcomes;
    return outcomes.length === 0
      ? [{ name, dimensions: { function: spec.function } }]
      : outcomes.map((outcome) => ({ name, dimensions: { function: spec.function, outcome } }));
  });
}

const countStats = ["Sum"] as const;
const timingStats = ["SampleCount", "Sum", "Minimum", "Maximum"] as const;

/**
 * The catalogue's metrics from CloudWatch for the window: one GetMetricData request (paged) with a query per
 * metric, outcome and statistic, over periods as long as the window; series with no data are left out.
 * IAM: `cloudwatch:GetMetricData`.
 */
export async function cloudWatchTotals(
  cloudwatch: Pick<CloudWatchClient, "send">,
  namespace: string,
  sinceMs: number,
  now = Date.now(),
): Promise<MetricTotal[]> {
  const series = catalogueSeries();
  const period = Math.max(60, Math.ceil(sinceMs / 60_000) * 60);
  const queries: MetricDataQuery[] = [];
  series.forEach((s, index) => {
    const stats = metricCatalogue[s.name].unit === "Count" ? countStats : timingStats;
    for (const stat of stats) {
      const id = `m${index}_${stat.toLowerCase()}`;
      queries.push({
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: namespace,
            MetricName: s.name,
            Dimensions: Object.entries(s.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: period,
          Stat: stat,
        },
        ReturnData: true,
      });
    }
  });
  const values = new Map<string, number[]>();
  let nextToken: string | undefined;
  do {
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(now - sinceMs),
        EndTime: new Date(now),
        ScanBy: "TimestampAscending",
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const r of out.MetricDataResults ?? [])
      if (r.Id) values.set(r.Id, [...(values.get(r.Id) ?? []), ...(r.Values ?? [])]);
    nextToken = out.NextToken;
  } while (nextToken);
  const totals: MetricTotal[] = [];
  series.forEach((s, index) => {
    const of = (stat: string) => values.get(`m${index}_${stat.toLowerCase()}`) ?? [];
    const sum = of("Sum");
    if (sum.length === 0) return;
    const timing = metricCatalogue[s.name].unit === "Milliseconds";
    totals.push({
      namespace,
      name: s.name,
      unit: metricCatalogue[s.name].unit,
      dimensions: s.dimensions,
      samples: timing ? of("SampleCount").reduce((a, b) => a + b, 0) : sum.length,
      sum: sum.reduce((a, b) => a + b, 0),
      min: timing ? Math.min(...of("Minimum")) : Math.min(...sum),
      max: timing ? Math.max(...of("Maximum")) : Math.max(...sum),
    });
  });
  return totals;
}

/** What `metrics --json` prints. */
export interface MetricsReport {
  source: MetricsSource;
  namespace: string;
  since: string;
  metrics: {
    name: string;
    function: string | null;
    outcome: string | null;
    unit: string;
    sum: number;
    samples: number;
    min: number;
    max: number;
  }[];
}

/** `fanout metrics`: the functions' metrics, from the local stack's logs or from CloudWatch. */
export async function metrics(ctx: CliContext, io: Io, flags: MetricsFlags): Promise<number> {
  const source = metricsSourceOf(flags.source);
  const namespace = ctx.settings.metrics.namespace;
  const now = Date.now();
  let totals: MetricTotal[];
  let where: string;
  if (source === "logs") {
    const logDir = resolve(flags.logDir ?? defaultLogDir);
    const { lines, files } = readFunctionLogs(logDir, ctx.names);
    if (files === 0) {
      throw new CliError(
        `no function logs in ${logDir} (${ctx.names.mainFunction}.log, ...): start the local stack (pnpm stack), or pass --log-dir, or --source cloudwatch`,
      );
    }
    totals = sumMetrics(lines, { since: now - flags.since, namespace });
    where = `function logs in ${logDir}`;
  } else {
    if (!ctx.cloudwatch) throw new CliError("this context has no CloudWatch client");
    totals = await cloudWatchTotals(ctx.cloudwatch, namespace, flags.since, now);
    where = "CloudWatch";
  }
  if (flags.json) {
    const report: MetricsReport = {
      source,
      namespace,
      since: new Date(now - flags.since).toISOString(),
      metrics: totals.map((t) => ({
        name: t.name,
        function: t.dimensions.function ?? null,
        outcome: t.dimensions.outcome ?? null,
        unit: t.unit,
        sum: t.sum,
        samples: t.samples,
        min: t.min,
        max: t.max,
      })),
    };
    writeJson(io.stdout, report);
    return ExitCode.Ok;
  }
  writeLine(
    io.stdout,
    `namespace ${namespace}, since ${new Date(now - flags.since).toISOString()}, from ${where}`,
  );
  writeLine(io.stdout, metricsTable(totals));
  return ExitCode.Ok;
}
