import { describe, expect, it } from "vitest";
import {
  cpuByName,
  parseCpuLine,
  parseStat,
  parseStatus,
  peaksByName,
  processTree,
  sampleTrees,
} from "./proc-stats.ts";

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

  it("sums CPU per process name between each process's first and last sample", () => {
    const first = new Map([
      [1, 100],
      [2, 10],
      [3, 50],
    ]);
    const last = new Map([
      [1, 150],
      [2, 30],
      [3, 50],
      [4, 7],
    ]);
    const names: Record<number, string> = {
      1: "stack",
      2: "fanout-worker",
      3: "fanout-worker",
      4: "fanout-main",
    };
    expect(cpuByName(first, last, (pid) => names[pid] ?? "?")).toEqual([
      { name: "stack", cpuMs: 500, processes: 1 },
      { name: "fanout-worker", cpuMs: 200, processes: 2 },
      { name: "fanout-main", cpuMs: 0, processes: 1 },
    ]);
  });

  it.runIf(process.platform === "linux")("measures this process's CPU under its role while it spins", () => {
    const sampler = sampleTrees([{ pid: process.pid, role: "me", tree: false }], 10);
    // Spin for 200 ms of this process's own CPU time (not wall time: a busy machine may not schedule it).
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 200_000) Math.sqrt(Math.random());
    const me = sampler.stop().cpu.find((c) => c.name === "me");
    expect(me?.processes).toBe(1);
    expect(me?.cpuMs).toBeGreaterThan(0);
  });
});
