import { z } from "zod";

const steps = ["bundles", "throughput", "e2e", "profile", "budget"] as const;
export type Step = (typeof steps)[number];

/** The sections of `pnpm bench --scale`, in the order they run. */
export const scaleSections = ["bundles", "scale-out", "ceiling", "e2e", "source", "model"] as const;
export type ScaleSection = (typeof scaleSections)[number];

const intList = (min: number, max: number) =>
  z
    .string()
    .transform((s) => s.split(",").map((x) => (x.trim() === "" ? Number.NaN : Number(x))))
    .pipe(z.array(z.number().int().min(min).max(max)).min(1));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The flags as commander hands them over (strings), validated and converted. */
export const flagsSchema = z.strictObject({
  quick: z.boolean().default(false),
  sizes: intList(10, 100_000).optional(),
  latencies: intList(0, 1_000).optional(),
  rounds: int(1, 10).optional(),
  e2eTasks: int(1, 10_000).optional(),
  e2eLatency: int(0, 1_000).optional(),
  coldRuns: int(1, 100).optional(),
  profileTasks: int(10, 100_000).optional(),
  profileLatency: int(0, 1_000).optional(),
  budgetTasks: int(10, 10_000).optional(),
  steps: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()))
    .pipe(z.array(z.enum(steps)).min(1))
    .optional(),
  settings: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  build: z.boolean().default(true),
  scale: z.boolean().default(false),
  scaleMode: z.enum(["invoke-n", "self-scale"]).optional(),
  scaleConsumers: intList(1, 64).optional(),
  scaleTasks: int(10, 100_000).optional(),
  scaleLatency: int(0, 1_000).optional(),
  ceilingTasks: int(10, 100_000).optional(),
  // max_tasks_per_job allows at most 100,000 (packages/core/src/ranges.ts).
  scaleE2eTasks: int(1, 100_000).optional(),
  scaleE2eLatency: int(0, 1_000).optional(),
  // core's jobLimits.maxSourceTasks allows 10,000,000; a million is the size.
  sourceTasks: int(1, 10_000_000).optional(),
  awsLatency: int(1, 100).optional(),
  scaleSections: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()))
    .pipe(z.array(z.enum(scaleSections)).min(1))
    .optional(),
  // A commit, tag or branch: what `git rev-parse` takes (no option-like or path-escaping text).
  compareRef: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/~^-]{0,199}$/, "a git commit, tag or branch name")
    .optional(),
  compareTasks: int(100, 100_000).optional(),
  compareLatency: int(0, 1_000).optional(),
});

export interface BenchOptions {
  mode: "quick" | "full";
  sizes: number[];
  latencies: number[];
  rounds: number;
  e2eTasks: number;
  e2eLatency: number;
  coldRuns: number;
  profileTasks: number;
  profileLatency: number;
  /** Tasks the seed's main enqueues one at a time, to measure its requests and time per task. */
  enqueueSample: number;
  /** Tasks per job of the budget step (DynamoDB requests per task for each job feature). */
  budgetTasks: number;
  steps: Step[];
  settingsPath?: string;
  out?: string;
  build: boolean;
  /** `--scale`: the scale benchmark instead of the steps above (packages/bench/README.md, "--scale"). */
  scale?: ScaleOptions;
  /** `--compare-ref`: our consumer's CPU per task against an older commit's, instead of the steps above. */
  compare?: CompareOptions;
}

export interface CompareOptions {
  ref: string;
  /** Tasks each variant drains per round (full 5,000, quick 500). */
  tasks: number;
  /** Alternating rounds (`--rounds`; full 3, quick 1). */
  rounds: number;
  /** @default 0 (CPU per task is what is compared, not wall time) */
  latencyMs: number;
}

export interface ScaleOptions {
  /** @default "self-scale" (the consumer's own scale-out, ADR 0013) */
  mode: "invoke-n" | "self-scale";
  /** Concurrent consumer runs per scale-out cell. @default [1, 2, 4, 8] */
  consumers: number[];
  /** Tasks queued per consumer in a scale-out cell (M = N × this). */
  tasksPerConsumer: number;
  /** Request latency of the scale-out cells, ms. @default 100 */
  latencyMs: number;
  /** Tasks of each run of the ceiling comparison (at 0 ms). */
  ceilingTasks: number;
  e2eTasks: number;
  e2eLatencyMs: number;
  /** Records of the S3 source job whose validate and enqueue are measured (full 1,000,000, quick 20,000). */
  sourceTasks: number;
  /** Assumed in-region AWS request latency for the AWS model, ms. @default 10 */
  awsLatencyMs: number;
  /** Fresh processes per bundle for cold init: more than the quick steps' 3, the ratio's median needs them. */
  coldRuns: number;
  sections: ScaleSection[];
}

/** Full run: the figures. Quick: the same steps, small, for a CI smoke well under a minute. */
export const presets = {
  full: {
    sizes: [1_000, 10_000],
    latencies: [0, 10],
    rounds: 1,
    e2eTasks: 10_000,
    e2eLatency: 10,
    coldRuns: 10,
    profileTasks: 5_000,
    profileLatency: 0,
    enqueueSample: 200,
    budgetTasks: 1_000,
  },
  quick: {
    sizes: [100],
    latencies: [0, 10],
    rounds: 1,
    e2eTasks: 300,
    e2eLatency: 10,
    coldRuns: 3,
    profileTasks: 300,
    profileLatency: 0,
    enqueueSample: 20,
    budgetTasks: 100,
  },
} as const;

/** `--scale` sizes. Full: each scale-out cell runs ≥ ~20 s; quick: the whole run well under 5 minutes. */
export const scalePresets = {
  full: { tasksPerConsumer: 2_500, ceilingTasks: 10_000, e2eTasks: 100_000, sourceTasks: 1_000_000 },
  quick: { tasksPerConsumer: 300, ceilingTasks: 1_000, e2eTasks: 2_000, sourceTasks: 20_000 },
} as const;

/** Validates the flags; a preset fills in what was not given. Throws a ZodError naming each bad flag. */
export function parseOptions(flags: Record<string, unknown>): BenchOptions {
  const f = flagsSchema.parse(flags);
  const mode = f.quick ? "quick" : "full";
  const p = presets[mode];
  return {
    mode,
    sizes: f.sizes ?? [...p.sizes],
    latencies: f.latencies ?? [...p.latencies],
    rounds: f.rounds ?? p.rounds,
    e2eTasks: f.e2eTasks ?? p.e2eTasks,
    e2eLatency: f.e2eLatency ?? p.e2eLatency,
    coldRuns: f.coldRuns ?? p.coldRuns,
    profileTasks: f.profileTasks ?? p.profileTasks,
    profileLatency: f.profileLatency ?? p.profileLatency,
    enqueueSample: p.enqueueSample,
    budgetTasks: f.budgetTasks ?? p.budgetTasks,
    steps: f.steps ?? [...steps],
    ...(f.settings ? { settingsPath: f.settings } : {}),
    ...(f.out ? { out: f.out } : {}),
    build: f.build,
    ...(f.scale
      ? {
          scale: {
            mode: f.scaleMode ?? "self-scale",
            consumers: f.scaleConsumers ?? [1, 2, 4, 8],
            tasksPerConsumer: f.scaleTasks ?? scalePresets[mode].tasksPerConsumer,
            latencyMs: f.scaleLatency ?? 100,
            ceilingTasks: f.ceilingTasks ?? scalePresets[mode].ceilingTasks,
            e2eTasks: f.scaleE2eTasks ?? scalePresets[mode].e2eTasks,
            e2eLatencyMs: f.scaleE2eLatency ?? 0,
            sourceTasks: f.sourceTasks ?? scalePresets[mode].sourceTasks,
            awsLatencyMs: f.awsLatency ?? 10,
            coldRuns: f.coldRuns ?? (mode === "quick" ? 7 : presets.full.coldRuns),
            sections: f.scaleSections ?? [...scaleSections],
          },
        }
      : {}),
    ...(f.compareRef
      ? {
          compare: {
            ref: f.compareRef,
            tasks: f.compareTasks ?? (mode === "quick" ? 500 : 5_000),
            rounds: f.rounds ?? (mode === "quick" ? 1 : 3),
            latencyMs: f.compareLatency ?? 0,
          },
        }
      : {}),
  };
}
