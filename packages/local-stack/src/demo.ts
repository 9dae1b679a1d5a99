import { readFileSync } from "node:fs";
import { type JobRunOptions, parseJob, taskCountOf } from "@fanout/core";
import { type CancelResult, cancelJob, createStore, type JobStatus, readJobStatus } from "@fanout/job-state";
import { type ProgressLayout, progressView } from "@fanout/progress";
import { createSqsClient, queueDepth } from "@fanout/queue";
import { type MetricTotal, metricsTable, sampleNames, sumMetrics } from "@fanout/tooling";
import { collectLogs } from "./log-collector.ts";
import { byService, perTask, sumRequests } from "./request-report.ts";
import { type Stack, startStack } from "./stack.ts";
import { submitToMain } from "./submit-job.ts";

/** What the demo watches: the job's counters, the queue and the worker's accepted invocations. */
interface ProgressFigures {
  total: number;
  queued: number;
  dispatched: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  running: number;
}

/** The demo's progress: counts, throughput and an ETA, as a bar or a plain line every 2 s. */
function demoProgress(startedAt: number): ProgressLayout<ProgressFigures> {
  const done = (f: ProgressFigures) => f.succeeded + f.failed + f.cancelled;
  const rate = (f: ProgressFigures) => done(f) / Math.max(0.001, (Date.now() - startedAt) / 1000);
  const eta = (f: ProgressFigures) =>
    done(f) === 0 || rate(f) === 0 ? "-" : `${Math.ceil((f.total - done(f)) / rate(f))}s`;
  return {
    total: (f) => f.total,
    done,
    barFormat:
      "{bar} {percentage}% | queued {queued} | dispatched {dispatched} | running {running} | succeeded {succeeded} | failed {failed} | cancelled {cancelled} | {rate}/s | ETA {etaText}",
    tokens: (f) => ({ ...f, rate: rate(f).toFixed(0), etaText: eta(f) }),
    line: (f) =>
      `progress ${done(f)}/${f.total} (${Math.floor((done(f) / Math.max(1, f.total)) * 100)}%) queued=${f.queued} dispatched=${f.dispatched} running=${f.running} succeeded=${f.succeeded} failed=${f.failed} cancelled=${f.cancelled} rate=${rate(f).toFixed(0)}/s eta=${eta(f)}`,
    everyMs: 2_000,
  };
}

export interface DemoOptions {
  names: number;
  /** Submit the `tasks` format (`{"n": i, "name": ...}` objects) instead of `names`. */
  tasks?: boolean;
  payload?: string;
  /** The job's `maxConcurrency`. */
  maxConcurrency?: number;
  /** The job's `toleratedFailureCount`. */
  toleratedFailures?: number;
  /** Cancel the job (cancelJob on the stack's table) once this many of its tasks have succeeded. */
  cancelAfter?: number;
  failRate: number;
  resubmit: boolean;
  /** Local speed factor for Lambda's async retry delays and the schedule. */
  speed: number;
  timeoutSeconds: number;
  out?: NodeJS.WriteStream;
}

export interface DemoReport {
  jobId: string;
  format: "names" | "tasks";
  tasks: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Tasks running when the demo stopped watching (0 once the job is done). */
  running: number;
  /** Most tasks seen running at once by the 250 ms polls of the job's counters. */
  peakRunning: number;
  /** The job's state at the end, as `fanout status` shows it. */
  state: JobStatus["state"];
  stopReason?: string;
  options: JobRunOptions;
  finishedAt?: string;
  /** With `cancelAfter`: how many tasks had succeeded when the cancel was sent, and its outcome. */
  cancel?: { afterSucceeded: number; outcome: CancelResult["outcome"] };
  /** Worker invocations Lambda accepted: one per task when dedup holds. */
  dispatched: number;
  /** Worker runs of a task: each ends in "task succeeded" or "task failed" (retries of failed runs included). */
  runs: number;
  /** Consumer runs that logged "consumer run finished" (each takes and frees a run slot: two writes). */
  consumerRuns: number;
  /** Events a worker sent back to the queue because the job was at its maxConcurrency (dispatched again later). */
  /** Times a consumer held a task of the capped job back in the queue (every slot held). */
  heldBack: number;
  /** Tasks that succeeded more than once, or were dispatched more than once (deferrals aside): must be 0. */
  ranTwice: number;
  duplicatesDropped: number;
  seconds: number;
  requestsPerTask: Record<string, number>;
  requestsPerTaskByService: Record<string, number>;
  /** The functions' EMF metrics, read from their log lines and summed (what CloudWatch would show). */
  metrics: MetricTotal[];
  ok: boolean;
}

function jobOf(options: DemoOptions): Record<string, unknown> {
  const base = options.payload
    ? (JSON.parse(readFileSync(options.payload, "utf8")) as Record<string, unknown>)
    : options.tasks
      ? {
          jobId: `demo-${Date.now()}`,
          tasks: sampleNames(options.names).map((name, n) => ({ n, name })),
        }
      : { jobId: `demo-${Date.now()}`, names: sampleNames(options.names).map((name) => ({ name })) };
  return {
    ...base,
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
    ...(options.toleratedFailures === undefined ? {} : { toleratedFailureCount: options.toleratedFailures }),
  };
}

function optionsText(options: JobRunOptions): string {
  const parts = Object.entries(options).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? `, ${parts.join(", ")}` : "";
}

/**
 * The README's main job: the whole pipeline on this machine. Submits a job through the real Lambda
 * Invoke API, shows progress, and checks the outcome: every task final, none dispatched or run twice.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const out = options.out ?? process.stdout;
  const job = jobOf(options);
  const parsed = parseJob(job); // a bad --payload fails here, before anything starts
  const stack: Stack = await startStack({
    speed: options.speed,
    output: null,
    workerEnvironment: options.failRate > 0 ? { WORKER_FAIL_RATE: String(options.failRate) } : {},
  });
  const logs = collectLogs(stack.lambda);
  try {
    out.write(
      `local stack up: lambda ${stack.endpoints.lambda}, sqs ${stack.endpoints.sqs}, dynamodb ${stack.endpoints.dynamo}\n` +
        `logs: .fanout/logs/<function>.log\n` +
        `submitting job ${parsed.jobId} (${taskCountOf(parsed)} tasks, ${parsed.format} format${optionsText(parsed.options)}) to ${stack.names.mainFunction}${options.resubmit ? " twice" : ""}\n`,
    );
    const started = Date.now();
    for (let i = 0; i < (options.resubmit ? 2 : 1); i++) await submitToMain(stack, job);
    Object.assign(process.env, stack.env);
    const store = createStore({
      tableName: stack.resources.tableName,
      ttlSeconds: stack.settings.dedup.ttl_seconds,
    });
    const sqs = createSqsClient();
    const view = progressView(out, demoProgress(Date.now()));
    const deadline = started + options.timeoutSeconds * 1000;
    let figures: ProgressFigures;
    let peakRunning = 0;
    let cancel: DemoReport["cancel"];
    for (;;) {
      const [status, depth] = await Promise.all([
        readJobStatus(store, parsed.jobId),
        queueDepth(sqs, stack.resources.tasksQueueUrl),
      ]);
      const worker = stack.lambda.stats()[stack.names.workerFunction];
      figures = {
        total: status.total,
        queued: depth.visible + depth.inFlight,
        dispatched: worker?.async.enqueued ?? 0,
        succeeded: status.succeeded,
        failed: status.failed,
        cancelled: status.cancelled,
        running: status.running,
      };
      peakRunning = Math.max(peakRunning, status.running);
      view.update(figures);
      if (options.cancelAfter !== undefined && !cancel && status.succeeded >= options.cancelAfter) {
        // As `fanout cancel` does: one conditional write on the job record in the stack's table.
        const result = await cancelJob(store, parsed.jobId);
        cancel = { afterSucceeded: status.succeeded, outcome: result.outcome };
      }
      // Final means: counters complete and no retry still pending in Lambda's async queue.
      if (status.done && (worker?.async.depth ?? 0) === 0 && figures.queued === 0) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    view.stop();
    const seconds = (Date.now() - started) / 1000;
    // Let consumer runs still polling finish and log their request counts before they are summed.
    stack.stopSchedule();
    await Promise.race([stack.lambda.idle(), new Promise((r) => setTimeout(r, 30_000))]);
    const workerLines = logs.lines(stack.names.workerFunction);
    const runs = workerLines.filter((l) => l.message === "task succeeded" || l.message === "task failed");
    const successes = new Map<string, number>();
    for (const line of workerLines) {
      if (line.message === "task succeeded")
        successes.set(String(line.taskId), (successes.get(String(line.taskId)) ?? 0) + 1);
    }
    const succeededTwice = [...successes.values()].filter((n) => n > 1).length;
    // A worker invoke accepted beyond one per task (a cancelled task is closed without one).
    const dispatchedTwice = Math.max(0, figures.dispatched - figures.total);
    // Read after the functions went idle: the job's final state is written just after its last count.
    const final = await readJobStatus(store, parsed.jobId);
    const consumerLines = logs.lines(stack.names.consumerFunction);
    const runSummaries = consumerLines.filter((l) => l.message === "consumer run finished");
    const duplicatesDropped = runSummaries.reduce((n, l) => n + Number(l.duplicates ?? 0), 0);
    const heldBack = runSummaries.reduce((n, l) => n + Number(l.held ?? 0), 0);
    const counts = sumRequests([
      ...logs.lines(stack.names.mainFunction),
      ...consumerLines.filter((l) => l.message === "consumer run finished"),
      ...workerLines,
    ]);
    const report: DemoReport = {
      jobId: parsed.jobId,
      format: parsed.format,
      tasks: final.total,
      succeeded: final.succeeded,
      failed: final.failed,
      cancelled: final.cancelled,
      running: final.running,
      peakRunning,
      state: final.state,
      ...(final.stopReason === undefined ? {} : { stopReason: final.stopReason }),
      options: final.options,
      ...(final.finishedAt === undefined ? {} : { finishedAt: new Date(final.finishedAt).toISOString() }),
      ...(cancel ? { cancel } : {}),
      dispatched: figures.dispatched,
      runs: runs.length,
      consumerRuns: runSummaries.length,
      heldBack,
      ranTwice: succeededTwice + dispatchedTwice,
      duplicatesDropped,
      seconds,
      requestsPerTask: perTask(counts, figures.total),
      requestsPerTaskByService: perTask(byService(counts), figures.total),
      metrics: sumMetrics([...logs.lines(stack.names.mainFunction), ...consumerLines, ...workerLines], {
        namespace: stack.settings.metrics.namespace,
      }),
      ok: final.done && succeededTwice + dispatchedTwice === 0,
    };
    out.write(`\n${summaryTable(report)}\n`);
    out.write(
      `\nmetrics (CloudWatch EMF in the function logs, namespace ${stack.settings.metrics.namespace}):\n${metricsTable(report.metrics)}\n`,
    );
    return report;
  } finally {
    logs.stop();
    await stack.stop();
  }
}

export function summaryTable(r: DemoReport): string {
  const o = r.options;
  const rows: [string, string][] = [
    ["job", `${r.jobId} (${r.format} format)`],
    ["state", r.state],
    ...(r.stopReason ? [["stop reason", r.stopReason] as [string, string]] : []),
    ["tasks", String(r.tasks)],
    ["succeeded", String(r.succeeded)],
    ["failed (final)", String(r.failed)],
    ["cancelled", String(r.cancelled)],
    ["running at the end", String(r.running)],
    ...(o.maxConcurrency === undefined
      ? []
      : ([
          ["max concurrency", String(o.maxConcurrency)],
          ["peak running (sampled)", String(r.peakRunning)],
          ["held back at the cap", String(r.heldBack)],
        ] as [string, string][])),
    ...(o.toleratedFailureCount === undefined
      ? []
      : [["tolerated failures", String(o.toleratedFailureCount)] as [string, string]]),
    ...(r.cancel
      ? [
          ["cancel sent", `after ${r.cancel.afterSucceeded} succeeded: ${r.cancel.outcome}`] as [
            string,
            string,
          ],
        ]
      : []),
    ["finished", r.finishedAt ?? "-"],
    ["dispatched (worker invokes)", String(r.dispatched)],
    ["worker runs (incl. retries)", String(r.runs)],
    ["consumer runs", String(r.consumerRuns)],
    ["duplicate messages dropped", String(r.duplicatesDropped)],
    ["tasks run or dispatched twice", String(r.ranTwice)],
    ["wall time", `${r.seconds.toFixed(1)} s`],
    ["throughput", `${(r.tasks / Math.max(0.001, r.seconds)).toFixed(0)} tasks/s`],
    ...Object.entries(r.requestsPerTaskByService).map(([k, v]): [string, string] => [
      `${k} requests per task`,
      String(v),
    ]),
    [
      "DynamoDB writes per task",
      String(
        Math.round(
          ["DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem"].reduce(
            (n, k) => n + (r.requestsPerTask[k] ?? 0),
            0,
          ) * 1000,
        ) / 1000,
      ),
    ],
    ["result", r.ok ? "OK: every task final, none run twice" : "FAILED"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = `+${"-".repeat(width + 2)}+${"-".repeat(Math.max(...rows.map(([, v]) => v.length)) + 2)}+`;
  return [
    line,
    ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v.padEnd(line.length - width - 7)} |`),
    line,
  ].join("\n");
}
