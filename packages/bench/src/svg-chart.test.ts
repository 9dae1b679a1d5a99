import { describe, expect, it } from "vitest";
import { escapeXml, formatTick, lineChart, niceTicks } from "./svg-chart.ts";

describe("niceTicks", () => {
  it("covers the range with steps of 1, 2 or 5 times a power of ten", () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 8, 4)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(0, 0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 730)).toEqual([0, 200, 400, 600, 800]);
  });

  it("still gives an axis for an empty or flat range", () => {
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
    expect(niceTicks(Number.NaN, 1)).toEqual([0]);
  });
});

describe("lineChart", () => {
  const svg = lineChart({
    title: "scale-out <at 100 ms>",
    xLabel: "consumers",
    yLabel: "tasks/s",
    xTicks: [1, 2, 4, 8],
    series: [
      {
        name: "measured",
        points: [
          [1, 100],
          [2, 190],
          [4, 350],
          [8, 600],
        ],
        markers: true,
      },
      {
        name: "linear",
        points: [
          [1, 100],
          [8, 800],
        ],
        dashed: true,
      },
    ],
  });

  it("draws one polyline per series, markers where asked, a dashed reference line and a legend", () => {
    expect(svg.startsWith("<svg xmlns=")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("<title>scale-out &#60;at 100 ms&#62;</title>");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('stroke-dasharray="6 4" points=');
    expect(svg).toContain(">measured</text>");
    expect(svg).toContain(">linear</text>");
  });

  it("labels the axes with the given x ticks and round y ticks up to the largest value", () => {
    for (const tick of ["1", "2", "4", "8", "0", "200", "800"]) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toContain(">consumers</text>");
    expect(svg).toContain(">tasks/s</text>");
  });

  it("escapes text and is the same for the same input", () => {
    expect(svg).toContain("scale-out &#60;at 100 ms&#62;");
    expect(escapeXml(`a&b"'`)).toBe("a&#38;b&#34;&#39;");
    expect(lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [] })).toBe(
      lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [] }),
    );
  });

  it("writes large tick values in thousands", () => {
    expect(formatTick(100_000)).toBe("100k");
    expect(formatTick(2_500)).toBe("2500");
    expect(formatTick(0.25)).toBe("0.25");
  });
});
