import type { JobRunOptions } from "@fanout/core";
import type { Prng } from "./prng.ts";

/**
 * How a simulated task behaves, encoded in its name: the `name` of a seed-format task, or the `behaviour`
 * field of a tasks-format payload.
 */
export type Behaviour =
  | { kind: "ok"; ms: number }
  | { kind: "flaky"; failures: number; ms: number }
  | { kind: "poison"; ms: number };

export function nameOf(b: Behaviour, index: number): string {
  if (b.kind === "flaky") return `flaky-${b.failures}-${b.ms}-${index}`;
  return `${b.kind}-${b.ms}-${index}`;
}

export function behaviourOf(name: string): Behaviour {
  const [kind, a, b] = name.split("-");
  if (kind === "flaky") return { kind, failures: Number(a), ms: Number(b) };
  if (kind === "poison") return { kind, ms: Number(a) };
  return { kind: "ok", ms: Number(a) };
}

export interface PlannedJob {
  jobId: string;
  /** Each task's behaviour name, in order. */
  names: string[];
  /** Submitted in the seed's format (`names`) or the tasks format (`tasks: [{behaviour, n}]`). */
  format: "names" | "tasks";
  /** maxConcurrency and tolerated failures, when the job sets them. */
  options: JobRunOptions;
  /** The operator cancels the job at this time, if set. */
  cancelAtMs?: number;
  /**
   * The operator cancels the job as it finishes: when its finishing write is sent, which is then held back
   * 2 s so that the cancel lands between the finish's read of the job and its write (a window a random
   * cancel time almost never hits).
   */
  cancelAtFinish?: boolean;
  /**
   * The operator cancels the job while a consumer hands one of its tasks to the worker: when the first worker
   * invoke of the job is sent, which is then held back 8 s (past the worker's 5 s job cache and the 2 s clock
   * tolerance), so the event reaches a worker well after the cancel, which must not start it (G8).
   */
  cancelAtDispatch?: boolean;
  /** Submitted at this virtual time (ms after start). */
  atMs: number;
  /** Submitted again (the same content) at these times: a caller retrying. */
  resubmitAtMs: number[];
  /** The same jobId with other content, expected to be refused (G6). */
  conflictAtMs?: number;
  /**
   * A job from S3: its tasks are JSON Lines in the input bucket under this key, and the job document names
   * the object (`{"source": "s3://..."}`); main enqueues it in leased steps handed over to itself.
   */
  sourceKey?: string;
  /** The same document again at this time, after the job finished and its record expired: a new incarnation. */
  reuseAtMs?: number;
}

export interface Workload {
  jobs: PlannedJob[];
  /** Jobs that must be refused whole and leave nothing behind (G5). */
  invalid: { jobId: string; payload: unknown; atMs: number }[];
  /** Bodies put straight into the tasks queue that are not tasks (G5). */
  malformed: string[];
  /** When the operator runs `fanout failed redrive` during the faults. */
  redriveAtMs: number[];
  /** A failure-swarm schedule ({@link swarmFailures}): short event ages and lost RUNNING writes too. */
  failureSwarm: boolean;
}

export function planWorkload(prng: Prng, prefix: string, options: { maxTasks: number }): Workload {
  const jobs: PlannedJob[] = [];
  const jobCount = prng.int(1, 3);
  for (let j = 0; j < jobCount; j++) {
    const n = prng.int(1, options.maxTasks);
    const names = Array.from({ length: n }, (_, i) => {
      const roll = prng.float();
      const ms = prng.int(100, 20_000);
      const b: Behaviour =
        roll < 0.75
          ? { kind: "ok", ms }
          : roll < 0.9
            ? { kind: "flaky", failures: prng.int(1, 2), ms }
            : { kind: "poison", ms };
      return nameOf(b, i);
    });
    // Drawn from their own stream, so adding them left every other draw of a seed as it was.
    const features = prng.fork(`features-${j}`);
    const runOptions: JobRunOptions = {
      ...(features.chance(0.3) ? { maxConcurrency: features.int(1, 3) } : {}),
      ...(features.chance(0.25) ? { toleratedFailureCount: features.int(0, 1) } : {}),
    };
    const cancelAtMs = features.chance(0.2) ? features.int(0, 400_000) : undefined;
    // A deep backlog now and then: more tasks than the consumer's scale-out backlog per run (10), short ones.
    const deep = prng.fork(`deep-${j}`);
    if (deep.chance(0.15))
      for (let i = names.length, more = deep.int(12, 26); more > 0; more--, i++)
        names.push(nameOf({ kind: "ok", ms: deep.int(100, 3_000) }, i));
    const format = features.chance(0.5) ? "tasks" : "names";
    // After the last draw of `features`, so every earlier draw of a seed is as it was.
    const cancelAtFinish = cancelAtMs === undefined && features.fork("cancel-at-finish").chance(0.25);
    const cancelAtDispatch =
      cancelAtMs === undefined && !cancelAtFinish && features.fork("cancel-at-dispatch").chance(0.2);
    jobs.push({
      jobId: `${prefix}-j${j}`,
      names,
      format,
      options: runOptions,
      ...(cancelAtMs === undefined ? {} : { cancelAtMs }),
      ...(cancelAtFinish ? { cancelAtFinish } : {}),
      ...(cancelAtDispatch ? { cancelAtDispatch } : {}),
      atMs: prng.int(0, 120_000),
      resubmitAtMs: prng.chance(0.4) ? [prng.int(10_000, 500_000)] : [],
      ...(prng.chance(0.2) ? { conflictAtMs: prng.int(10_000, 300_000) } : {}),
    });
  }
  // A job from S3 in a quarter of the schedules (a stream of its own: the other draws stay as they were).
  const src = prng.fork("source");
  if (src.chance(0.25)) {
    const n = src.int(5, 24);
    const names = Array.from({ length: n }, (_, i) => {
      const roll = src.float();
      const ms = src.int(100, 8_000);
      const b: Behaviour =
        roll < 0.8
          ? { kind: "ok", ms }
          : roll < 0.92
            ? { kind: "flaky", failures: 1, ms }
            : { kind: "poison", ms };
      return nameOf(b, i);
    });
    const jobId = `${prefix}-src`;
    jobs.push({
      jobId,
      names,
      format: "tasks",
      options: {
        ...(src.chance(0.3) ? { maxConcurrency: src.int(1, 3) } : {}),
        ...(src.chance(0.25) ? { toleratedFailureCount: src.int(0, 1) } : {}),
      },
      atMs: src.int(0, 120_000),
      resubmitAtMs: resubmissions(src),
      sourceKey: `jobs/${jobId}.jsonl`,
    });
  }
  const invalid = prng.chance(0.5)
    ? [
        {
          jobId: `${prefix}-bad`,
          payload: { jobId: `${prefix}-bad`, names: [{ name: "ok-1-0" }, { name: "" }, { nom: "x" }] },
          atMs: prng.int(0, 120_000),
        },
      ]
    : [];
  const malformed = prng.chance(0.5)
    ? ["not json", JSON.stringify({ v: 1, jobId: `${prefix}-m`, index: -1, name: "x" })]
    : [];
  const redriveAtMs = Array.from({ length: prng.int(0, 2) }, () => prng.int(60_000, 600_000));
  const featured = swarmFeatures(prng.fork("workload-swarm"), jobs);
  const failing = swarmFailures(prng.fork("failure-swarm"), featured);
  return { jobs: failing ?? featured, invalid, malformed, redriveAtMs, failureSwarm: failing !== undefined };
}

/**
 * When a source job's document is submitted again: in 40 % of the schedules once, half of those twice within
 * three seconds (a caller retrying an impatient submit), so the second finds the first's restart under way:
 * its restart is refused while a step holds the job's enqueue lease, and steps meet each other's leases.
 */
function resubmissions(src: Prng): number[] {
  if (!src.chance(0.4)) return [];
  const at = src.int(10_000, 500_000);
  return src.chance(0.5) ? [at, at + src.int(0, 3_000)] : [at];
}

/**
 * Swarm testing over the job features: a quarter of the schedules give every job a failure threshold, a
 * quarter a concurrency cap, so paths that need two jobs' worth of one feature (a threshold job's counter
 * writes racing each other; a capped job's slot under a stale event) meet it in more than one job in ten.
 */
function swarmFeatures(swarm: Prng, jobs: PlannedJob[]): PlannedJob[] {
  const feature = swarm.pick(["threshold", "cap", "mixed", "mixed"] as const);
  return jobs.map((job) => {
    const tolerated = swarm.int(0, 1);
    const cap = swarm.int(1, 2);
    if (feature === "threshold" && job.options.toleratedFailureCount === undefined)
      return { ...job, options: { ...job.options, toleratedFailureCount: tolerated } };
    if (feature === "cap" && job.options.maxConcurrency === undefined)
      return { ...job, options: { ...job.options, maxConcurrency: cap } };
    return job;
  });
}

/**
 * Swarm testing over task behaviour: a quarter of the schedules make a third of their tasks fail at first
 * (flaky) and one in ten for good (poison), and give every job a tolerance of one or two failures, so that
 * a job meets two final failures within its tolerance, one of them retried by Lambda after it was judged
 * final: the path where the job's failure count must come down again (mutant 30). Undefined when the
 * schedule is not one of them. (A failure is judged final while Lambda may still retry it when the next
 * retry looks past the event's maximum age: the scenario gives these schedules a short one, `swarmSettings`.)
 */
function swarmFailures(swarm: Prng, jobs: PlannedJob[]): PlannedJob[] | undefined {
  if (!swarm.chance(0.25)) return undefined;
  return jobs.map((job) => ({
    ...job,
    names: job.names.map((name, i) => {
      const b = behaviourOf(name);
      const roll = swarm.float();
      if (b.kind !== "ok" || roll >= 0.43) return name;
      return nameOf(
        roll < 0.33 ? { kind: "flaky", failures: swarm.int(1, 2), ms: b.ms } : { kind: "poison", ms: b.ms },
        i,
      );
    }),
    options: { ...job.options, toleratedFailureCount: job.options.toleratedFailureCount ?? swarm.int(1, 2) },
  }));
}

/** The job document the submitter sends to main. */
export function jobPayload(job: PlannedJob, names: readonly string[] = job.names, bucket = ""): unknown {
  if (job.sourceKey !== undefined)
    return { jobId: job.jobId, source: `s3://${bucket}/${job.sourceKey}`, format: "tasks", ...job.options };
  const entries =
    job.format === "names"
      ? { names: names.map((name) => ({ name })) }
      : { tasks: names.map((behaviour, n) => ({ behaviour, n })) };
  return { jobId: job.jobId, ...entries, ...job.options };
}

/** A source job's object: one tasks-format record per line, as `jobPayload` would list them inline. */
export function sourceLines(job: PlannedJob): string {
  return job.names.map((behaviour, n) => `${JSON.stringify({ behaviour, n })}\n`).join("");
}
