import type { Settings } from "@fanout/tooling";
import { type Alternative, priceAlternatives } from "./alternatives.ts";
import { type BundleFigures, emptyFunction } from "./bundles.ts";
import { type CostPerMillion, costPerMillion, gbSeconds, type PerTask } from "./cost.ts";
import type { EndToEnd } from "./e2e.ts";
import { units } from "./item-size.ts";
import type { BudgetRow } from "./job-budget.ts";
import { prices } from "./prices.ts";
import type { ProfileSummary } from "./profile.ts";
import type { ThroughputCell, ThroughputResult } from "./throughput.ts";

/** The seed's functions ran with 128 MB (its REPORT line: "Memory Size: 128 MB"). */
const seedMemoryMb = 128;

/**
 * The issues' targets. Writes: issue 20's 3 a seed task (ADR 0015; about 4.25 today: claim with its dispatch
 * token, RUNNING, outcome, shard, and the consumer's in-flight count, as packages/job-state/README.md budgets them).
 */
export const targets = {
  throughputRatio: 30,
  tasksPerMinuteRatio: 1_000,
  zipBytes: 400 * 1024,
  /**
   * Median cold init of each default-variant bundle ÷ the empty handler bundle's, same method, same run
   * (absolute ms depend on the machine: 110-127 ms here, 254-310 ms on another, same code). Measured
   * 2026-12 on 2 CPUs: 6.1× (worker) to 8.0× (main) of a 21 ms empty handler; 10× leaves ~25 % margin.
   */
  coldInitRatio: 10,
  writesPerTask: 3,
  latencyMs: 10,
} as const;

export interface Row {
  section: string;
  metric: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  status: string;
}

export interface Results {
  /** DynamoDB requests per task for each job feature (`measureJobBudget`). */
  budget?: BudgetRow[];
  throughput?: ThroughputResult;
  e2e?: EndToEnd;
  bundles?: BundleFigures[];
  profile?: ProfileSummary;
}

export interface Derived {
  tasksPerMinute?: {
    ours: number;
    baseline: number;
    ratio: number;
    oursRateFrom: string;
    budgetSeconds: number;
  };
  perTask?: { ours: PerTask; baseline: PerTask };
  cost?: { ours: CostPerMillion; baseline: CostPerMillion; prices: typeof prices };
  /** The same job priced on the designs a team would weigh against fanout (`priceAlternatives`). */
  alternatives?: Alternative[];
  defaultVariant?: string;
}

const n = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const ratio = (x: number) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}×` : "n/a");
const pass = (ok: boolean) => (ok ? "pass" : "miss");

/** The cell used for headline figures: the target latency and the largest size, median over rounds. */
function headline(cells: ThroughputCell[], latencyMs: number, tasks: number): ThroughputCell | undefined {
  const list = cells
    .filter((c) => c.latencyMs === latencyMs && c.tasks === tasks)
    .sort((a, b) => a.ratio - b.ratio);
  return list[Math.floor(list.length / 2)];
}

const add = (a: Record<string, number>, b: Record<string, number>, scale = 1) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v * scale;
  return out;
};

export function derive(results: Results, settings: Settings): Derived {
  const derived: Derived = {};
  const t = results.throughput;
  const sizes = t ? [...new Set(t.cells.map((c) => c.tasks))].sort((a, b) => a - b) : [];
  const latency = t?.cells.some((c) => c.latencyMs === targets.latencyMs)
    ? targets.latencyMs
    : t?.cells[0]?.latencyMs;
  const top = t && latency !== undefined ? headline(t.cells, latency, sizes.at(-1) ?? 0) : undefined;
  if (top) {
    // Ours drains until its budget (timeout minus safety margin) at its measured rate; the seed takes one batch.
    const budgetSeconds =
      (settings.functions.consumer.timeout_seconds * 1000 - settings.consumer.safety_margin_ms) / 1000;
    const ours = top.ours.tasksPerSecond * budgetSeconds;
    const baseline = top.baseline.tasksPerInvocation;
    derived.tasksPerMinute = {
      ours,
      baseline,
      ratio: ours / baseline,
      oursRateFrom: `${top.tasks} tasks at ${top.latencyMs} ms`,
      budgetSeconds,
    };
  }
  const e = results.e2e;
  const enqueue = t?.seedEnqueue.find((s) => s.latencyMs === latency) ?? t?.seedEnqueue[0];
  if (e && top && enqueue) {
    // Measured units (each request's ConsumedCapacity, plus the index writes and refused writes AWS bills).
    const lambda = Object.values(e.lambda);
    const ours: PerTask = {
      requests: e.requestsPerTask,
      dynamoWriteUnits: units(e.unitsPerTask, false),
      dynamoReadUnits: units(e.unitsPerTask, true),
      lambdaInvocations: lambda.reduce((s, f) => s + f.invocations, 0) / e.tasks,
      lambdaGbSeconds: lambda.reduce((s, f) => s + gbSeconds(f.billedMs, f.memoryMb), 0) / e.tasks,
    };
    const b = top.baseline;
    const perInvocation = b.tasksPerInvocation;
    const seedWorkerMs = t?.seedWorkerBilledMs[top.latencyMs] ?? 0;
    const baseline: PerTask = {
      requests: add(
        Object.fromEntries(Object.entries(enqueue.requests).map(([k, v]) => [k, v / enqueue.tasks])),
        b.requests,
        1 / b.tasks,
      ),
      dynamoWriteUnits: b.capacity.write / b.tasks,
      dynamoReadUnits: b.capacity.read / b.tasks,
      // One worker run per task, one consumer run per batch, one main run per job (of the e2e size).
      lambdaInvocations: 1 + 1 / perInvocation + 1 / e.tasks,
      // Billed at the seed's own memory size, not ours (its functions are I/O-bound waits).
      lambdaGbSeconds:
        gbSeconds(Math.ceil(seedWorkerMs), seedMemoryMb) +
        gbSeconds(Math.ceil(b.invocationMs), seedMemoryMb) / perInvocation +
        gbSeconds(enqueue.msPerTask, seedMemoryMb),
    };
    derived.perTask = { ours, baseline };
    derived.cost = { ours: costPerMillion(ours), baseline: costPerMillion(baseline), prices };
    const worker = e.lambda.worker;
    if (worker)
      derived.alternatives = priceAlternatives({
        ours,
        original: baseline,
        workerMs: worker.billedMs / Math.max(1, worker.invocations),
        workerMemoryMb: worker.memoryMb,
      });
  }
  return derived;
}

export function rows(results: Results, derived: Derived, defaultVariant: string): Row[] {
  const out: Row[] = [];
  const t = results.throughput;
  if (t) {
    for (const c of t.cells) {
      const atTarget = c.latencyMs === targets.latencyMs;
      out.push({
        section: "throughput",
        metric: `consumer tasks/s, ${c.tasks} tasks, ${c.latencyMs} ms${t.cells.some((x) => x.round > 1) ? ` r${c.round}` : ""}`,
        ours: n(c.ours.tasksPerSecond),
        baseline: n(c.baseline.tasksPerSecond),
        ratio: ratio(c.ratio),
        target: atTarget ? `≥ ${targets.throughputRatio}×` : "",
        status: atTarget ? pass(c.ratio >= targets.throughputRatio) : "",
      });
    }
  }
  const m = derived.tasksPerMinute;
  if (m) {
    out.push({
      section: "throughput",
      metric: `tasks/min, one run per minute (ours: ${m.oursRateFrom} rate × ${m.budgetSeconds} s budget)`,
      ours: n(m.ours, 0),
      baseline: n(m.baseline, 0),
      ratio: ratio(m.ratio),
      target: `≥ ${targets.tasksPerMinuteRatio}×`,
      status: pass(m.ratio >= targets.tasksPerMinuteRatio),
    });
  }
  const e = results.e2e;
  if (e) {
    out.push(
      {
        section: "end to end",
        metric: `${e.tasks}-task job at ${e.latencyMs} ms: wall time (s)`,
        ours: n(e.wallSeconds),
        baseline: "",
        ratio: "",
        target: "",
        status: "",
      },
      {
        section: "end to end",
        metric: "tasks/s (main → every task SUCCEEDED)",
        ours: n(e.tasksPerSecond),
        baseline: "",
        ratio: "",
        target: "",
        status: e.succeeded === e.tasks ? "" : "miss",
      },
      {
        section: "end to end",
        metric: "enqueue → worker start p50 / p99 (ms)",
        ours: `${n(e.startLatencyMs.p50, 0)} / ${n(e.startLatencyMs.p99, 0)}`,
        baseline: "",
        ratio: "",
        target: "",
        status: "",
      },
      {
        section: "end to end",
        metric: "main invoked → worker start p50 / p99 (ms)",
        ours: `${n(e.fromSubmitMs.p50, 0)} / ${n(e.fromSubmitMs.p99, 0)}`,
        baseline: "",
        ratio: "",
        target: "",
        status: "",
      },
    );
    // Older result files have no CPU figures.
    for (const [name, ms] of Object.entries(e.cpuMsPerTask ?? {}))
      out.push({
        section: "end to end",
        metric: `CPU ms per task: ${name}${name === "stack" ? " (emulators and the Lambda service)" : ""}`,
        ours: n(ms, 3),
        baseline: "",
        ratio: "",
        target: "",
        status: "",
      });
  }
  const p = derived.perTask;
  if (p) {
    const keys = [...new Set([...Object.keys(p.ours.requests), ...Object.keys(p.baseline.requests)])].sort();
    for (const k of keys) {
      out.push({
        section: "requests/task",
        metric: k,
        ours: n(p.ours.requests[k] ?? 0, 3),
        baseline: n(p.baseline.requests[k] ?? 0, 3),
        ratio: "",
        target: "",
        status: "",
      });
    }
    const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    out.push({
      section: "requests/task",
      metric: "all requests",
      ours: n(total(p.ours.requests), 2),
      baseline: n(total(p.baseline.requests), 2),
      ratio: ratio(total(p.baseline.requests) / total(p.ours.requests)),
      target: "",
      status: "",
    });
    const writes = ["DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem"].reduce(
      (s, k) => s + (p.ours.requests[k] ?? 0),
      0,
    );
    const perJob = e ? 1 / e.tasks : 0;
    out.push(
      {
        section: "dynamodb",
        metric: "write requests per task",
        ours: n(writes, 3),
        baseline: n(
          ["DynamoDB.UpdateItem"].reduce((s, k) => s + (p.baseline.requests[k] ?? 0), 0),
          3,
        ),
        ratio: "",
        target: `≤ ${targets.writesPerTask} + 1/job`,
        status: pass(writes <= targets.writesPerTask + perJob + 1e-9),
      },
      {
        section: "dynamodb",
        metric: "write units / read units per task",
        ours: `${n(p.ours.dynamoWriteUnits, 3)} / ${n(p.ours.dynamoReadUnits, 3)}`,
        baseline: `${n(p.baseline.dynamoWriteUnits, 3)} / ${n(p.baseline.dynamoReadUnits, 3)}`,
        ratio: "",
        target: "",
        status: "",
      },
    );
  }
  const c = derived.cost;
  if (c) {
    out.push({
      section: "cost",
      metric: `$ per million tasks (us-east-1, prices of ${c.prices.date})`,
      ours: n(c.ours.total, 2),
      baseline: n(c.baseline.total, 2),
      ratio: ratio(c.baseline.total / c.ours.total),
      target: "",
      status: "",
    });
    for (const k of ["sqs", "dynamo", "lambdaRequests", "lambdaCompute"] as const) {
      out.push({
        section: "cost",
        metric: `  of which ${k}`,
        ours: n(c.ours[k], 2),
        baseline: n(c.baseline[k], 2),
        ratio: "",
        target: "",
        status: "",
      });
    }
  }
  for (const a of derived.alternatives ?? []) {
    out.push({
      section: "cost",
      metric: `$ per million tasks on ${a.name}${a.perMillion.orchestration > 0 ? ` (of which Step Functions ${n(a.perMillion.orchestration, 2)})` : ""}`,
      ours: n(a.perMillion.total, 2),
      baseline: "",
      ratio: "",
      target: a.name.startsWith("fanout") ? "≤ 3.00" : "",
      status: a.name.startsWith("fanout") ? pass(a.perMillion.total <= 3) : "",
    });
  }
  for (const b of results.bundles ?? []) {
    if (b.function === emptyFunction) {
      out.push({
        section: "bundles",
        metric: "empty handler (reference of the ratios): cold init median / max (ms)",
        ours: `${n(b.coldInitMs.median, 0)} / ${n(b.coldInitMs.max, 0)}`,
        baseline: "",
        ratio: "",
        target: "",
        status: "",
      });
      continue;
    }
    const isDefault = b.variant === defaultVariant;
    out.push({
      section: "bundles",
      metric: `${b.function} ${b.variant}${isDefault ? " (default)" : ""}: zip KB (with map) / unzipped KB`,
      ours: `${n(b.zipBytes / 1024, 0)} (${n(b.zipBytesWithMap / 1024, 0)}) / ${n(b.bundleBytes / 1024, 0)}`,
      baseline: "",
      ratio: "",
      target: isDefault ? `≤ ${targets.zipBytes / 1024} KB` : "",
      status: isDefault ? pass(b.zipBytes <= targets.zipBytes) : "",
    });
    out.push({
      section: "bundles",
      metric: `${b.function} ${b.variant}: cold init median / max (ms), median of (each ÷ the empty handler's just before)`,
      ours: `${n(b.coldInitMs.median, 0)} / ${n(b.coldInitMs.max, 0)}`,
      baseline: "",
      ratio: `${n(b.coldInitRatio, 2)}×`,
      target: isDefault ? `≤ ${targets.coldInitRatio}× empty` : "",
      status: isDefault ? pass(b.coldInitRatio <= targets.coldInitRatio) : "",
    });
  }
  const prof = results.profile;
  if (prof) {
    const o = prof.byOrigin;
    out.push({
      section: "profile",
      metric: `consumer CPU ms/task (${prof.tasks} tasks, ${prof.latencyMs} ms): ours/sdk/node+vm/deps`,
      ours: `${n(prof.busyMs / prof.tasks, 2)}: ${n((o.ours / prof.busyMs) * 100, 0)}%/${n((o["aws-sdk"] / prof.busyMs) * 100, 0)}%/${n(((o.node + o.vm) / prof.busyMs) * 100, 0)}%/${n((o.dependency / prof.busyMs) * 100, 0)}%`,
      baseline: "",
      ratio: "",
      target: "",
      status: "",
    });
    for (const entry of prof.top.slice(0, 5)) {
      out.push({
        section: "profile",
        metric: `  ${entry.function} ${entry.location}`.slice(0, 90),
        ours: `${n(entry.share * 100, 1)}% (${entry.origin})`,
        baseline: "",
        ratio: "",
        target: "",
        status: "",
      });
    }
  }
  return out;
}

export function renderTable(list: readonly Row[]): string {
  const head: Row = {
    section: "section",
    metric: "metric",
    ours: "ours",
    baseline: "baseline",
    ratio: "ratio",
    target: "target",
    status: "result",
  };
  const cols = ["section", "metric", "ours", "baseline", "ratio", "target", "status"] as const;
  const all = [head, ...list];
  const width = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: Row) => `| ${cols.map((c, i) => r[c].padEnd(width[i] ?? 0)).join(" | ")} |`;
  const rule = `|${width.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(head), rule, ...list.map(line)].join("\n");
}
