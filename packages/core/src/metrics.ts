import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** The three functions, as metric dimension values. */
export type FunctionRole = "main" | "consumer" | "worker";

/** CloudWatch namespace when POWERTOOLS_METRICS_NAMESPACE is unset (the settings' `metrics.namespace` default). */
export const defaultMetricsNamespace = "Fanout";

interface MetricSpec {
  unit: "Count" | "Milliseconds";
  function: FunctionRole;
  /** Values of the `outcome` dimension; none = the metric has only the `function` dimension. */
  outcomes: readonly string[];
  /** When it moves (README and `fanout metrics`). */
  moves: string;
}

/**
 * Every metric fanout emits (CloudWatch EMF through Powertools Metrics), the one list the functions, the local
 * stack's EMF reader, `fanout metrics` and the README table share. Dimensions: `function`, and `outcome` where
 * `outcomes` is not empty; never a jobId or taskId (each value would be a metric of its own).
 */
export const metricCatalogue = {
  JobsSubmitted: {
    unit: "Count",
    function: "main",
    outcomes: ["created", "resubmitted", "refused", "failed"],
    moves:
      "once per submission (a source job's later enqueue steps are not submissions): created (new jobId), resubmitted (same jobId and content), refused (invalid job, jobId conflict), failed (an AWS error or some tasks not enqueued)",
  },
  EnqueueSteps: {
    unit: "Count",
    function: "main",
    outcomes: ["handedOver", "finished", "skipped", "failed"],
    moves:
      "once per later enqueue step of a source job (an attempt of main's self-invocation): handedOver (it passed the rest on), finished (it enqueued the last task), skipped (nothing to do: another step holds or did the work), failed (it threw; Lambda retries it, then sends it to the on-failure destination, where fanout failed redrive restarts it)",
  },
  TasksEnqueued: {
    unit: "Count",
    function: "main",
    outcomes: [],
    moves: "by the number of task messages SendMessageBatch accepted (resubmissions included)",
  },
  TasksDispatched: {
    unit: "Count",
    function: "consumer",
    outcomes: [],
    moves: "per message whose task was claimed and whose worker invoke Lambda accepted (202)",
  },
  DuplicatesDropped: {
    unit: "Count",
    function: "consumer",
    outcomes: [],
    moves: "per message of a task already handed on (redelivery, resubmission): deleted, not dispatched",
  },
  ClaimsBusy: {
    unit: "Count",
    function: "consumer",
    outcomes: [],
    moves: "per message of a task another consumer run holds a live claim on: left for later",
  },
  InvokesThrottled: {
    unit: "Count",
    function: "consumer",
    outcomes: [],
    moves:
      "per worker invoke still throttled (429) after the SDK's retries: claim released, message comes back",
  },
  InvokesFailed: {
    unit: "Count",
    function: "consumer",
    outcomes: ["retryable", "unanswered", "permanent"],
    moves:
      "per worker invoke that failed otherwise: retryable (5xx, network), unanswered (no answer: Lambda may have queued it), permanent (missing function, access denied)",
  },
  TasksCancelledUndispatched: {
    unit: "Count",
    function: "consumer",
    outcomes: [],
    moves:
      "per message of a cancelled (or failed) job's task: closed CANCELLED and deleted, the worker not invoked",
  },
  TasksHeldBack: {
    unit: "Count",
    function: "consumer",
    outcomes: [],
    moves:
      "per message of a job at its maxConcurrency: sent back to the queue delayed (no receive is spent), not dispatched",
  },
  TasksSucceeded: {
    unit: "Count",
    function: "worker",
    outcomes: [],
    moves: "per worker run whose task handler succeeded and whose SUCCEEDED write was made",
  },
  TasksFailedRetryPending: {
    unit: "Count",
    function: "worker",
    outcomes: [],
    moves: "per failed run that Lambda will retry (retries left within the maximum event age)",
  },
  TasksFailedFinal: {
    unit: "Count",
    function: "worker",
    outcomes: [],
    moves: "per failed run with no retry left: the event goes to the failed-task queue",
  },
  TasksCancelledUnstarted: {
    unit: "Count",
    function: "worker",
    outcomes: [],
    moves: "per event of a cancelled (or failed) job's task that had not started: closed CANCELLED, not run",
  },
  SlotWaitsExceeded: {
    unit: "Count",
    function: "worker",
    outcomes: [],
    moves:
      "per event of a capped job that found every slot held for its whole wait (its dispatch's slot lapsed): failed, Lambda retries it",
  },
  TaskDuration: {
    unit: "Milliseconds",
    function: "worker",
    outcomes: ["succeeded", "failed"],
    moves: "one sample per run of the task handler: its wall time",
  },
  EnqueueToStartLag: {
    unit: "Milliseconds",
    function: "worker",
    outcomes: [],
    moves:
      "one sample per first run of a task (attempt 1): from the job record's creation (the task's epoch, just before its messages are sent) to the worker's start",
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof metricCatalogue;
type OutcomeOf<N extends MetricName> = (typeof metricCatalogue)[N]["outcomes"][number];
/** Metrics of one function. */
type MetricOf<F extends FunctionRole> = {
  [N in MetricName]: (typeof metricCatalogue)[N]["function"] extends F ? N : never;
}[MetricName];

/**
 * One function's metrics for one invocation: counts are summed and samples kept in memory, then written as
 * CloudWatch EMF log lines by {@link FunctionMetrics.flush} (one line per dimension set; no API call).
 */
export interface FunctionMetrics<F extends FunctionRole = FunctionRole> {
  /** Adds `value` (default 1) to a count metric; a value that is not a finite number is reported and dropped. */
  count<N extends MetricOf<F>>(name: N, value?: number, ...outcome: OutcomeArg<N>): void;
  /** Adds one sample (e.g. milliseconds) to a metric. */
  sample<N extends MetricOf<F>>(name: N, value: number, ...outcome: OutcomeArg<N>): void;
  /** Writes what was recorded since the last flush and clears it. Never throws; writes nothing when empty. */
  flush(): void;
}
type OutcomeArg<N extends MetricName> = [OutcomeOf<N>] extends [never] ? [] : [outcome: OutcomeOf<N>];

export interface MetricsOptions {
  /** @default POWERTOOLS_METRICS_NAMESPACE, else "Fanout" */
  namespace?: string;
  /** Told when a flush fails (it never throws); default: a line on stderr. */
  onError?: (error: unknown) => void;
}

/**
 * Powertools Metrics for one function, with the dimension `function` (Powertools' default `service`
 * dimension is dropped: it would repeat `function`). Metrics with an `outcome` are written through one extra
 * Metrics instance per outcome value, since one EMF record holds one dimension set for all its metrics.
 * POWERTOOLS_METRICS_DISABLED=true (or POWERTOOLS_DEV without it) turns the output off, as Powertools does.
 *
 * @example
 * const metrics = createMetrics("worker");
 * metrics.count("TasksSucceeded");
 * metrics.sample("TaskDuration", 12, "succeeded");
 * metrics.flush(); // at the end of every invocation, also on errors
 */
export function createMetrics<F extends FunctionRole>(
  fn: F,
  options: MetricsOptions = {},
): FunctionMetrics<F> {
  const namespace = options.namespace || process.env.POWERTOOLS_METRICS_NAMESPACE || defaultMetricsNamespace;
  const onError =
    options.onError ?? ((error: unknown) => process.stderr.write(`metrics not written: ${String(error)}\n`));
  const instances = new Map<string, Metrics>();
  const instance = (outcome: string): Metrics => {
    let metrics = instances.get(outcome);
    if (!metrics) {
      metrics = new Metrics({ namespace, serviceName: fn });
      metrics.clearDefaultDimensions();
      metrics.setDefaultDimensions(outcome ? { function: fn, outcome } : { function: fn });
      instances.set(outcome, metrics);
    }
    return metrics;
  };
  // name → outcome ("" for none) → summed count or samples
  const counts = new Map<MetricName, Map<string, number>>();
  const samples = new Map<MetricName, Map<string, number[]>>();
  return {
    count(name, value = 1, ...outcome) {
      if (!Number.isFinite(value)) return onError(new RangeError(`${name}: ${value} is not a finite number`));
      const byOutcome = counts.get(name) ?? new Map<string, number>();
      const key = outcome[0] ?? "";
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + value);
      counts.set(name, byOutcome);
    },
    sample(name, value, ...outcome) {
      if (!Number.isFinite(value)) return onError(new RangeError(`${name}: ${value} is not a finite number`));
      const byOutcome = samples.get(name) ?? new Map<string, number[]>();
      const key = outcome[0] ?? "";
      byOutcome.set(key, [...(byOutcome.get(key) ?? []), value]);
      samples.set(name, byOutcome);
    },
    flush() {
      if (counts.size === 0 && samples.size === 0) return;
      try {
        const used = new Set<string>();
        for (const [name, byOutcome] of counts)
          for (const [outcome, value] of byOutcome) {
            instance(outcome).addMetric(name, unitOf(name), value);
            used.add(outcome);
          }
        for (const [name, byOutcome] of samples)
          for (const [outcome, values] of byOutcome) {
            // Powertools publishes by itself when one metric reaches 100 values; that is still correct EMF.
            for (const value of values) instance(outcome).addMetric(name, unitOf(name), value);
            used.add(outcome);
          }
        for (const outcome of used) instance(outcome).publishStoredMetrics();
      } catch (error) {
        for (const metrics of instances.values()) metrics.clearMetrics();
        onError(error);
      } finally {
        counts.clear();
        samples.clear();
      }
    },
  };
}

function unitOf(name: MetricName) {
  return metricCatalogue[name].unit === "Count" ? MetricUnit.Count : MetricUnit.Milliseconds;
}
