import type { Settings } from "@fanout/tooling";
import {
  type AwsModelInput,
  type AwsScenario,
  awsConsumerRate,
  awsQuotas,
  modelAwsJob,
} from "./aws-model.ts";
import type { BundleFigures } from "./bundles.ts";
import type { CeilingResult } from "./ceiling.ts";
import { units } from "./item-size.ts";
import { prices } from "./prices.ts";
import type { Row } from "./report.ts";
import type { ScaleEndToEnd } from "./scale-e2e.ts";
import { efficiencies, type ScaleOutResult } from "./scale-out.ts";
import type { SourceJobFigures } from "./source-job.ts";
import { lineChart } from "./svg-chart.ts";

/** The targets of `pnpm bench --scale`. */
export const scaleTargets = {
  /** rate(N) ≥ this × N × rate(1), for every N up to 8. */
  scaleOutEfficiency: 0.7,
  /** Our consumer ≥ this × the minimal consumer, at 0 ms. */
  ceilingRatio: 0.8,
  /** The large job end to end. */
  e2eTasksPerSecond: 200,
} as const;

/** A section that could not give a figure: printed as "not measured (reason)" or "failed (message)". */
export interface Unmeasured {
  notMeasured?: string;
  failed?: string;
}

export interface ScaleResults {
  bundles?: BundleFigures[];
  scaleOut?: ScaleOutResult;
  ceiling?: CeilingResult;
  e2e?: ScaleEndToEnd;
  source?: SourceJobFigures;
  model?: { input: AwsModelInput; scenarios: AwsScenario[] };
  /** Per section: why it has no figures. */
  unmeasured: Partial<Record<"bundles" | "scale-out" | "ceiling" | "e2e" | "source" | "model", Unmeasured>>;
}

const n = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const pass = (ok: boolean) => (ok ? "pass" : "miss");
const row = (r: Partial<Row> & Pick<Row, "section" | "metric">): Row => ({
  ours: "",
  baseline: "",
  ratio: "",
  target: "",
  status: "",
  ...r,
});

/** Machine CPU at or above this in a cell: the cell is bound by this machine, not by the mechanism. */
const cpuBoundPercent = 90;

/**
 * The AWS model's input from the measured figures: one consumer run's rate from the scale-out's 1-consumer
 * cell (latency-bound) scaled to AWS's latency, capped by our consumer's 0 ms rate from the ceiling step;
 * requests and units per task and the worker's billed time from the large end-to-end job.
 */
export function modelInput(
  results: Pick<ScaleResults, "scaleOut" | "ceiling" | "e2e">,
  settings: Settings,
  options: { tasks: number; awsLatencyMs: number; consumers: number[] },
): AwsModelInput | undefined {
  const one = results.scaleOut?.cells.find((c) => c.consumers === 1);
  const e = results.e2e;
  if (!one || !e || !results.scaleOut) return undefined;
  const rate = awsConsumerRate({
    rateAtLatency: one.tasksPerSecond,
    measuredLatencyMs: results.scaleOut.latencyMs,
    awsLatencyMs: options.awsLatencyMs,
    ...(results.ceiling ? { rateAtZeroMs: results.ceiling.ours.tasksPerSecond } : {}),
  });
  const r = e.requestsPerTask;
  const sum = (keys: string[]) => keys.reduce((s, k) => s + (r[k] ?? 0), 0);
  return {
    tasks: options.tasks,
    consumers: options.consumers,
    perConsumerRate: rate.rate,
    perConsumerRateFrom: rate.from,
    inFlightPerConsumer: settings.consumer.pollers * 10 + settings.consumer.dispatch_concurrency,
    requestsPerTask: r,
    // Measured units (each request's ConsumedCapacity, with the index and refused writes AWS bills); a report
    // from before they were measured counts one unit per request.
    writeUnitsPerTask: e.unitsPerTask
      ? units(e.unitsPerTask, false)
      : sum(["DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem"]),
    readUnitsPerTask: e.unitsPerTask
      ? units(e.unitsPerTask, true)
      : sum(["DynamoDB.GetItem", "DynamoDB.Query"]) + (r["DynamoDB.BatchGetItem"] ?? 0),
    // Upper bound: every GetItem per task taken as a strongly consistent read of the one job record.
    hotItemReadsPerTask: r["DynamoDB.GetItem"] ?? 0,
    workerMs: e.workerBilledMs,
    workerMemoryMb: settings.functions.worker.memory_mb,
    consumerMemoryMb: settings.functions.consumer.memory_mb,
  };
}

export function modelScenarios(input: AwsModelInput): AwsScenario[] {
  return modelAwsJob(input);
}

const unmeasuredRow = (section: string, metric: string, u: Unmeasured | undefined, target = ""): Row =>
  row({
    section,
    metric,
    ours: u?.failed
      ? `failed (${u.failed.slice(0, 80)})`
      : `not measured (${u?.notMeasured ?? "section not run"})`,
    target,
    status: u?.failed ? "miss" : "n/a",
  });

export function scaleRows(results: ScaleResults, settings: Settings): Row[] {
  const out: Row[] = [];
  const u = results.unmeasured;
  const s = results.scaleOut;
  if (s) {
    const eff = efficiencies(s.cells);
    s.cells.forEach((c, i) => {
      const e = eff[i] ?? Number.NaN;
      const counted = c.consumers > 1 && c.consumers <= 8;
      const cpuBound = c.cpu.machineBusyPercent >= cpuBoundPercent;
      out.push(
        row({
          section: "scale-out",
          metric: `${c.consumers} consumer${c.consumers > 1 ? "s" : ""} at ${s.latencyMs} ms (${s.mode}): tasks/s; CPU % of a core: stack+bench ${n(c.cpu.cpuPercent, 0)}, other processes ${n(c.cpu.otherPercent, 0)}; machine ${n(c.cpu.machineBusyPercent, 0)} % busy${cpuBound ? " (CPU-bound)" : ""}${c.complete ? "" : "; INCOMPLETE"}`,
          ours: n(c.tasksPerSecond),
          baseline: `linear ${n(c.consumers * (s.cells.find((x) => x.consumers === 1)?.tasksPerSecond ?? Number.NaN))}`,
          ratio: `${n(e, 2)}`,
          target: counted ? `≥ ${scaleTargets.scaleOutEfficiency} × linear` : "",
          status: counted ? pass(c.complete && e >= scaleTargets.scaleOutEfficiency) : "",
        }),
      );
    });
    const flat = s.cells.filter(
      (c, i) =>
        c.consumers > 1 &&
        (eff[i] ?? 0) < scaleTargets.scaleOutEfficiency &&
        c.cpu.machineBusyPercent >= cpuBoundPercent,
    );
    if (flat.length > 0)
      out.push(
        row({
          section: "scale-out",
          metric: `note: the curve flattens where the machine's ${flat[0]?.cpu.cores} cores are ≥ ${cpuBoundPercent} % busy (${flat.map((c) => `${c.consumers}: ${n(c.cpu.machineBusyPercent, 0)} %`).join(", ")}): emulators, Lambda service, consumers${flat.some((c) => c.cpu.otherPercent > 30) ? " and other processes on this machine" : ""} share them; that is this machine, not the mechanism`,
        }),
      );
  } else
    out.push(
      unmeasuredRow(
        "scale-out",
        "consumers at 100 ms: tasks/s vs linear",
        u["scale-out"],
        `≥ ${scaleTargets.scaleOutEfficiency} × linear`,
      ),
    );

  const c = results.ceiling;
  if (c) {
    out.push(
      row({
        section: "ceiling",
        metric: `our consumer vs a minimal one, ${c.tasks} tasks at ${c.latencyMs} ms, ${c.pollers} pollers, ${c.concurrency} in flight: tasks/s (median of ${c.rounds.length} rounds: ${c.rounds.map((r) => n(r.ratio, 2)).join(", ")})`,
        ours: n(c.ours.tasksPerSecond),
        baseline: `minimal ${n(c.ceiling.tasksPerSecond)}`,
        ratio: n(c.ratio, 2),
        target: `≥ ${scaleTargets.ceilingRatio} × minimal`,
        status: pass(c.ratio >= scaleTargets.ceilingRatio),
      }),
    );
  } else
    out.push(
      unmeasuredRow(
        "ceiling",
        "our consumer vs a minimal one at 0 ms",
        u.ceiling,
        `≥ ${scaleTargets.ceilingRatio} × minimal`,
      ),
    );

  const e = results.e2e;
  if (e) {
    out.push(
      row({
        section: "e2e",
        metric: `${e.tasks}-task job (${e.jobs} inline job${e.jobs > 1 ? "s" : ""}, ${n(e.jobBytes / 1e6, 2)} MB) at ${e.latencyMs} ms: wall time (s)`,
        ours: n(e.wallSeconds),
      }),
      row({
        section: "e2e",
        metric: "tasks/s (main invoked → job finished)",
        ours: n(e.tasksPerSecond),
        target: `≥ ${scaleTargets.e2eTasksPerSecond}`,
        status: pass(e.tasksPerSecond >= scaleTargets.e2eTasksPerSecond),
      }),
      row({
        section: "e2e",
        metric: `every task exact (ran once, none lost): succeeded ${e.succeeded}, failed ${e.failed}, ran twice ${e.ranTwice}, never ran ${e.neverRan}`,
        ours: e.exact ? "yes" : "no",
        target: "yes",
        status: pass(e.exact),
      }),
      row({ section: "e2e", metric: "main: validate + record + enqueue (s)", ours: n(e.enqueueSeconds) }),
      row({
        section: "e2e",
        metric: `CPU over the run: machine % of ${e.cpu.cores} cores`,
        ours: n(e.cpu.machineBusyPercent, 0),
      }),
    );
    for (const p of e.peaks) {
      const fn = (["main", "consumer", "worker"] as const).find((f) => p.name.endsWith(`-${f}`));
      out.push(
        row({
          section: "e2e",
          metric: `peak RSS (MB): ${p.name}${p.processes > 1 ? ` (largest of ${p.processes} processes)` : ""}${fn ? `, configured ${e.memoryMb[fn]} MB` : ""}`,
          ours: n(p.peakRssMb, 0),
        }),
      );
    }
  } else {
    out.push(
      unmeasuredRow("e2e", "100,000-task job: tasks/s", u.e2e, `≥ ${scaleTargets.e2eTasksPerSecond}`),
      unmeasuredRow("e2e", "every task exact", u.e2e, "yes"),
    );
  }

  const src = results.source;
  if (src)
    out.push(
      row({
        section: "source",
        metric: `${src.tasks}-task S3 source job (${n(src.objectMb, 1)} MB JSON Lines): main validate / enqueue (s), in ${src.steps} step${src.steps > 1 ? "s" : ""}`,
        ours: `${n(src.validateMs / 1000)} / ${n(src.enqueueMs / 1000)}`,
      }),
      row({
        section: "source",
        metric: "  tasks/s validated + enqueued (submit → last task in the queue)",
        ours: n(src.tasks / ((src.validateMs + src.enqueueMs) / 1000), 0),
      }),
      row({
        section: "source",
        metric: `main peak RSS while enqueueing (MB; REPORT Max Memory Used ${src.mainReportedMaxMemoryMb} MB) vs configured memory`,
        ours: n(src.mainPeakRssMb, 0),
        baseline: `${src.mainMemoryMb} MB`,
        target: `< ${src.mainMemoryMb} MB`,
        status: pass(src.mainPeakRssMb < src.mainMemoryMb),
      }),
    );
  else
    out.push(
      unmeasuredRow(
        "source",
        "S3 source job: main peak RSS while enqueueing",
        u.source,
        `< ${settings.functions.main.memory_mb} MB`,
      ),
    );

  const m = results.model;
  if (m) {
    out.push(
      row({
        section: "aws model",
        metric: `1 consumer run's rate on AWS (assumed): ${m.input.perConsumerRateFrom}`,
        ours: n(m.input.perConsumerRate, 0),
      }),
    );
    for (const sc of m.scenarios) {
      out.push(
        row({
          section: "aws model",
          metric: `${m.input.tasks.toLocaleString("en-US")} tasks, ${sc.consumers} consumer${sc.consumers > 1 ? "s" : ""}: tasks/s (limited by ${sc.limitedBy}${sc.newTableThrottles ? "; a new on-demand table throttles at first" : ""})`,
          ours: n(sc.rate, 0),
        }),
        row({
          section: "aws model",
          metric: `  dispatch time (min), worker concurrency, ramp (s)`,
          ours: `${n(sc.dispatchSeconds / 60, 1)}, ${n(sc.workerConcurrency, 0)}, ${n(sc.rampSeconds, 1)}`,
        }),
        row({
          section: "aws model",
          metric: `  $ per job (SQS / DynamoDB / Lambda requests / Lambda compute), prices of ${prices.date}`,
          ours: n(sc.costPerJob.total, 2),
          baseline: `${n(sc.costPerJob.sqs, 2)} / ${n(sc.costPerJob.dynamo, 2)} / ${n(sc.costPerJob.lambdaRequests, 2)} / ${n(sc.costPerJob.lambdaCompute, 2)}`,
        }),
      );
    }
  } else out.push(unmeasuredRow("aws model", "1,000,000 tasks on AWS", u.model));
  return out;
}

/** The quotas the model assumed, with their sources, for printing under the table. */
export function quotaLines(): string[] {
  return Object.entries(awsQuotas).map(
    ([, q]) =>
      `- ${Number.isFinite(q.value) ? q.value.toLocaleString("en-US") : "unlimited"} ${q.unit}: ${q.source}`,
  );
}

export function scaleOutChart(s: ScaleOutResult): string {
  const one = s.cells.find((c) => c.consumers === 1)?.tasksPerSecond ?? Number.NaN;
  const xs = s.cells.map((c) => c.consumers);
  return lineChart({
    title: `Consumer scale-out at ${s.latencyMs} ms per request (${s.mode})`,
    xLabel: "concurrent consumer runs",
    yLabel: "tasks dispatched per second",
    xTicks: xs,
    series: [
      {
        name: "measured",
        points: s.cells.map((c) => [c.consumers, c.tasksPerSecond] as const),
        markers: true,
      },
      { name: "linear (N × 1 consumer)", points: xs.map((x) => [x, x * one] as const), dashed: true },
      {
        name: `${scaleTargets.scaleOutEfficiency} × linear (target)`,
        points: xs.map((x) => [x, x * one * scaleTargets.scaleOutEfficiency] as const),
        dashed: true,
        color: "#999999",
      },
    ],
  });
}

export function completedChart(e: ScaleEndToEnd): string {
  return lineChart({
    title: `${e.tasks.toLocaleString("en-US")}-task job end to end: tasks completed over time`,
    xLabel: "seconds since main was invoked",
    yLabel: "tasks completed (worker REPORT lines)",
    series: [{ name: `completed (${n(e.tasksPerSecond, 0)} tasks/s overall)`, points: e.completed }],
  });
}
