/**
 * A small line-chart writer for the benchmark's charts (ADR 0503): axes with round ticks, labels, a legend,
 * one polyline per series (optionally dashed, optionally with point markers). Plain SVG text, no
 * dependencies, deterministic output for the same input.
 */

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Drawn dashed (a reference line, e.g. linear scaling). @default false */
  dashed?: boolean;
  /** A circle at every point. @default false */
  markers?: boolean;
  /** Any SVG colour. @default one of the palette, by the series' position */
  color?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** @default 720 */
  width?: number;
  /** @default 420 */
  height?: number;
  /** Tick values on the x axis instead of computed round ones (e.g. the consumer counts 1, 2, 4, 8). */
  xTicks?: readonly number[];
  /** Start the y axis at 0. @default true */
  yFromZero?: boolean;
}

const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/** Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max < min) [min, max] = [max, min];
  if (max === min) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks.at(-1) ?? max) < max) ticks.push(Number((first + ticks.length * step).toPrecision(12)));
  return ticks;
}

/** A tick label: thousands as "k" past 10,000, otherwise up to 2 decimals, trailing zeros dropped. */
export function formatTick(v: number): string {
  if (Math.abs(v) >= 10_000) return `${Number((v / 1000).toFixed(1))}k`;
  return String(Number(v.toFixed(2)));
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fixed = (n: number) => Number(n.toFixed(1));

/** The chart as an SVG document. */
export function lineChart(chart: LineChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 420;
  const margin = { left: 72, right: 24, top: 44, bottom: 56 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = chart.series.flatMap((s) => s.points);
  const xs = [...all.map((p) => p[0]), ...(chart.xTicks ?? [])];
  const ys = all.map((p) => p[1]);
  const xTicks = chart.xTicks ? [...chart.xTicks] : niceTicks(Math.min(...xs, 0), Math.max(...xs, 1));
  const yTicks = niceTicks(
    chart.yFromZero === false && ys.length > 0 ? Math.min(...ys) : 0,
    ys.length > 0 ? Math.max(...ys, 0) : 1,
  );
  const [x0, x1] = [Math.min(...xTicks), Math.max(...xTicks)];
  const [y0, y1] = [yTicks[0] ?? 0, yTicks.at(-1) ?? 1];
  const sx = (x: number) => fixed(margin.left + ((x - x0) / (x1 - x0 || 1)) * plotW);
  const sy = (y: number) => fixed(margin.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    // The accessible name of the image (screen readers, and biome's a11y lint on committed charts).
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(
      `<line x1="${margin.left}" y1="${sy(t)}" x2="${margin.left + plotW}" y2="${sy(t)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${sy(t) + 4}" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${sx(t)}" y1="${margin.top + plotH}" x2="${sx(t)}" y2="${margin.top + plotH + 5}" stroke="black"/>`,
      `<text x="${sx(t)}" y="${margin.top + plotH + 19}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="black"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text x="18" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${margin.top + plotH / 2})">${escapeXml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = s.color ?? palette[i % palette.length];
    const points = s.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(" ");
    if (s.points.length > 0)
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${points}"/>`,
      );
    if (s.markers)
      for (const [x, y] of s.points)
        out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3.5" fill="${color}"/>`);
    const ly = margin.top + 8 + i * 18;
    out.push(
      `<line x1="${margin.left + 12}" y1="${ly}" x2="${margin.left + 36}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${margin.left + 42}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
