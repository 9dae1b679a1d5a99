import { type MetricName, metricCatalogue } from "@fanout/core";

/** One metric value set out of one CloudWatch EMF record, with the dimension values it is filed under. */
export interface MetricDatum {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  values: number[];
  /** The record's `_aws.Timestamp`, epoch ms. */
  timestamp: number;
}

/** A metric summed over records: one per namespace, name and dimension values. */
export interface MetricTotal {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  /** Values seen (for a count, the number of records that carried it). */
  samples: number;
  sum: number;
  min: number;
  max: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * The metrics in one parsed log line, read as CloudWatch reads Embedded Metric Format: `_aws.CloudWatchMetrics`
 * names, per namespace, the dimension sets and metrics; values (a number or an array of numbers) and
 * dimension values are top-level keys. A metric filed under two dimension sets is two data. Not EMF: [].
 */
export function emfData(line: unknown): MetricDatum[] {
  if (!isRecord(line) || !isRecord(line._aws)) return [];
  const { Timestamp, CloudWatchMetrics } = line._aws;
  if (typeof Timestamp !== "number" || !Array.isArray(CloudWatchMetrics)) return [];
  const data: MetricDatum[] = [];
  for (const directive of CloudWatchMetrics) {
    if (!isRecord(directive) || typeof directive.Namespace !== "string") continue;
    const sets = Array.isArray(directive.Dimensions) ? directive.Dimensions : [];
    const dimensionSets = (sets.length > 0 ? sets : [[]]).filter(Array.isArray) as unknown[][];
    for (const metric of Array.isArray(directive.Metrics) ? directive.Metrics : []) {
      if (!isRecord(metric) || typeof metric.Name !== "string") continue;
      const raw = line[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (v): v is number => typeof v === "number" && Number.isFinite(v),
      );
      if (values.length === 0) continue;
      for (const set of dimensionSets) {
        const dimensions: Record<string, string> = {};
        for (const key of set) if (typeof key === "string") dimensions[key] = String(line[key] ?? "");
        data.push({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: typeof metric.Unit === "string" ? metric.Unit : "None",
          dimensions,
          values,
          timestamp: Timestamp,
        });
      }
    }
  }
  return data;
}

const catalogueOrder = Object.keys(metricCatalogue);
const orderOf = (name: string) => {
  const i = catalogueOrder.indexOf(name);
  return i < 0 ? catalogueOrder.length : i;
};
const dimensionKey = (d: Record<string, string>) =>
  Object.entries(d)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/**
 * Sums the EMF metrics of log lines by namespace, name and dimension values, in the catalogue's order.
 * `since` (epoch ms) keeps records from then on; `namespace` keeps one namespace.
 */
export function sumMetrics(
  lines: Iterable<unknown>,
  options: { since?: number; namespace?: string } = {},
): MetricTotal[] {
  const totals = new Map<string, MetricTotal>();
  for (const line of lines) {
    for (const d of emfData(line)) {
      if (options.since !== undefined && d.timestamp < options.since) continue;
      if (options.namespace !== undefined && d.namespace !== options.namespace) continue;
      const key = `${d.namespace}\u0000${d.name}\u0000${dimensionKey(d.dimensions)}`;
      const total = totals.get(key) ?? {
        namespace: d.namespace,
        name: d.name,
        unit: d.unit,
        dimensions: d.dimensions,
        samples: 0,
        sum: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
      };
      for (const v of d.values) {
        total.samples += 1;
        total.sum += v;
        total.min = Math.min(total.min, v);
        total.max = Math.max(total.max, v);
      }
      totals.set(key, total);
    }
  }
  return [...totals.values()].sort(
    (a, b) =>
      orderOf(a.name) - orderOf(b.name) ||
      a.name.localeCompare(b.name) ||
      dimensionKey(a.dimensions).localeCompare(dimensionKey(b.dimensions)),
  );
}

/** The sum of a metric over all its dimension values (optionally one `outcome`), 0 when absent. */
export function metricSum(totals: readonly MetricTotal[], name: MetricName, outcome?: string): number {
  return totals
    .filter((t) => t.name === name && (outcome === undefined || t.dimensions.outcome === outcome))
    .reduce((n, t) => n + t.sum, 0);
}

/**
 * A plain text table of totals: metric, function, outcome, unit, value (a count's sum; for milliseconds the
 * samples, average and maximum). Every catalogue metric gets a row, with 0 when nothing was recorded.
 */
export function metricsTable(totals: readonly MetricTotal[]): string {
  const present = new Set(totals.map((t) => t.name));
  const missing = (Object.keys(metricCatalogue) as MetricName[])
    .filter((name) => !present.has(name))
    .map(
      (name): MetricTotal => ({
        namespace: "",
        name,
        unit: metricCatalogue[name].unit,
        dimensions: { function: metricCatalogue[name].function },
        samples: 0,
        sum: 0,
        min: 0,
        max: 0,
      }),
    );
  const all = [...totals, ...missing].sort((a, b) => orderOf(a.name) - orderOf(b.name));
  const value = (t: MetricTotal) =>
    t.unit === "Milliseconds"
      ? t.samples === 0
        ? "0 samples"
        : `${t.samples} samples, avg ${Math.round(t.sum / t.samples)}, max ${Math.round(t.max)}`
      : String(Math.round(t.sum * 1000) / 1000);
  const rows = all.map((t) => [
    t.name,
    t.dimensions.function ?? t.dimensions.service ?? "-",
    t.dimensions.outcome ?? "-",
    t.unit,
    value(t),
  ]);
  const headers = ["metric", "function", "outcome", "unit", "value"];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}
