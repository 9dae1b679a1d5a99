import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

/**
 * CPU and memory of a process tree from Linux's /proc: the stack process and its descendants (the local
 * Lambda runs every function instance in a child process), sampled at an interval. Elsewhere than Linux
 * every figure is empty, never made up.
 */

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux everywhere in practice). */
const ticksPerSecond = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: fields follow the last ')'). */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < 0) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1]);
  const cpuTicks = Number(rest[11]) + Number(rest[12]);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !Number.isFinite(cpuTicks)) return undefined;
  return { pid, ppid, cpuTicks };
}

/** VmRSS and VmHWM (peak resident set) of /proc/<pid>/status, in MB. */
export function parseStatus(text: string): { rssMb: number; peakRssMb: number } {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
}

/** busy and total jiffies of all CPUs from /proc/stat's first line. */
export function parseCpuLine(text: string): { busy: number; total: number } {
  const fields = (text.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

function allStats(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const text = read(`/proc/${e}/stat`);
    const stat = text ? parseStat(text) : undefined;
    return stat ? [stat] : [];
  });
}

/** The pids of `root` and all its descendants, with their stats. */
export function processTree(root: number, stats: ProcStat[] = allStats()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out: ProcStat[] = [];
  const queue = stats.filter((s) => s.pid === root);
  while (queue.length > 0) {
    const s = queue.shift() as ProcStat;
    out.push(s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

/** A function instance's function name (AWS_LAMBDA_FUNCTION_NAME in its environment), else `label`. */
function nameOf(pid: number, label: string): string {
  const env = read(`/proc/${pid}/environ`);
  const fn = env
    ?.split("\0")
    .find((v) => v.startsWith("AWS_LAMBDA_FUNCTION_NAME="))
    ?.slice("AWS_LAMBDA_FUNCTION_NAME=".length);
  return fn ?? label;
}

export interface ProcessPeak {
  pid: number;
  /** The function name for a function instance, or the role given for a root ("stack", "bench"). */
  name: string;
  peakRssMb: number;
}

export interface TreeSample {
  /** CPU of the sampled trees over the window, as % of one core (200 % = two cores busy). */
  cpuPercent: number;
  /** The whole machine's CPU over the window, as % of all cores (100 % = every core busy). */
  machineBusyPercent: number;
  cores: number;
  /** Peak resident set of every process seen, largest first. */
  peaks: ProcessPeak[];
  /** CPU time per process name over the window, largest first (see {@link cpuByName}). */
  cpu: NamedCpu[];
  seconds: number;
}

/** CPU time of the processes of one name (a role, or a function's instances together). */
export interface NamedCpu {
  name: string;
  cpuMs: number;
  processes: number;
}

/**
 * CPU ms per name from each process's first and last tick counts over a window: a process seen once (it
 * started and ended between two samples) counts nothing, so the figures are lower bounds.
 */
export function cpuByName(
  first: ReadonlyMap<number, number>,
  last: ReadonlyMap<number, number>,
  nameOfPid: (pid: number) => string,
): NamedCpu[] {
  const by = new Map<string, NamedCpu>();
  for (const [pid, ticks] of last) {
    const name = nameOfPid(pid);
    const entry = by.get(name) ?? { name, cpuMs: 0, processes: 0 };
    entry.cpuMs += ((ticks - (first.get(pid) ?? ticks)) * 1000) / ticksPerSecond;
    entry.processes += 1;
    by.set(name, entry);
  }
  return [...by.values()].sort((a, b) => b.cpuMs - a.cpuMs);
}

/** A process to sample: alone, or with all its descendants (`tree`). */
export interface SampleRoot {
  pid: number;
  /** Its name in the figures; a descendant that is a function instance is named by its function instead. */
  role: string;
  tree: boolean;
}

/**
 * Samples `roots` every `intervalMs` until `stop()`: CPU ticks per process (a process that ended between two
 * samples loses its last interval; a process is counted once even if two roots reach it) and each
 * process's VmHWM. Roots are visited in order, so the first root that reaches a process names it.
 */
export function sampleTrees(roots: readonly SampleRoot[], intervalMs = 1_000) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const peaks = new Map<number, ProcessPeak>();
  const machine0 = parseCpuLine(read("/proc/stat") ?? "");
  const started = performance.now();
  const sample = () => {
    const stats = allStats();
    for (const { pid: root, role, tree } of roots) {
      const procs = tree ? processTree(root, stats) : stats.filter((s) => s.pid === root);
      for (const s of procs) {
        if (!first.has(s.pid)) first.set(s.pid, s.cpuTicks);
        last.set(s.pid, s.cpuTicks);
        const status = read(`/proc/${s.pid}/status`);
        if (!status) continue;
        const { peakRssMb } = parseStatus(status);
        const known = peaks.get(s.pid);
        if (known) known.peakRssMb = Math.max(known.peakRssMb, peakRssMb);
        else
          peaks.set(s.pid, {
            pid: s.pid,
            name: s.pid === Number(root) ? role : nameOf(s.pid, role),
            peakRssMb,
          });
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop(): TreeSample {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - started) / 1000;
      let ticks = 0;
      for (const [pid, t] of last) ticks += t - (first.get(pid) ?? t);
      const machine1 = parseCpuLine(read("/proc/stat") ?? "");
      const total = machine1.total - machine0.total;
      return {
        cpuPercent: seconds > 0 ? (ticks / ticksPerSecond / seconds) * 100 : 0,
        machineBusyPercent: total > 0 ? ((machine1.busy - machine0.busy) / total) * 100 : 0,
        cores: cpus().length,
        peaks: [...peaks.values()].sort((a, b) => b.peakRssMb - a.peakRssMb),
        cpu: cpuByName(first, last, (pid) => peaks.get(pid)?.name ?? String(pid)),
        seconds,
      };
    },
  };
}

/** Peak RSS by process name: the largest instance, and how many processes had that name. */
export function peaksByName(
  peaks: readonly ProcessPeak[],
): { name: string; peakRssMb: number; processes: number }[] {
  const by = new Map<string, { name: string; peakRssMb: number; processes: number }>();
  for (const p of peaks) {
    const known = by.get(p.name);
    if (known) {
      known.peakRssMb = Math.max(known.peakRssMb, p.peakRssMb);
      known.processes += 1;
    } else by.set(p.name, { name: p.name, peakRssMb: p.peakRssMb, processes: 1 });
  }
  return [...by.values()].sort((a, b) => b.peakRssMb - a.peakRssMb);
}
