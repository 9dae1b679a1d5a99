import { describe, expect, it } from "vitest";
import { parseCpuLine, parseStat, parseStatus, peaksByName, processTree } from "./proc-stats.ts";

describe("/proc parsing", () => {
  it("reads ppid and CPU ticks past a command name holding spaces and parentheses", () => {
    const line = "4242 (node (fanout) x) S 4200 4242 4242 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 11 0 1";
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 4200, cpuTicks: 175 });
  });

  it("reads the resident set and its peak in MB", () => {
    expect(parseStatus("Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n")).toEqual({
      rssMb: 100,
      peakRssMb: 200,
    });
  });

  it("counts idle and iowait as not busy", () => {
    expect(parseCpuLine("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3")).toEqual({ busy: 150, total: 1000 });
  });

  it("finds every descendant of a root, and no other process", () => {
    const stats = [
      { pid: 1, ppid: 0, cpuTicks: 0 },
      { pid: 10, ppid: 1, cpuTicks: 0 },
      { pid: 11, ppid: 10, cpuTicks: 0 },
      { pid: 12, ppid: 11, cpuTicks: 0 },
      { pid: 20, ppid: 1, cpuTicks: 0 },
    ];
    expect(processTree(10, stats).map((s) => s.pid)).toEqual([10, 11, 12]);
  });

  it("groups peaks by process name, keeping the largest", () => {
    expect(
      peaksByName([
        { pid: 1, name: "fanout-worker", peakRssMb: 80 },
        { pid: 2, name: "fanout-worker", peakRssMb: 95 },
        { pid: 3, name: "stack", peakRssMb: 300 },
      ]),
    ).toEqual([
      { name: "stack", peakRssMb: 300, processes: 1 },
      { name: "fanout-worker", peakRssMb: 95, processes: 2 },
    ]);
  });
});
