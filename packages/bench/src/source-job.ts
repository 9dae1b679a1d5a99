import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Upload } from "@aws-sdk/lib-storage";
import { createStore, readJob } from "@fanout/job-state";
import { submitToMain } from "@fanout/local-stack";
import { createS3Client } from "@fanout/source";
import { type Settings, sampleNames } from "@fanout/tooling";
import { settingsWith } from "./bench-settings.ts";
import { jsonOf, readLog, reportOf } from "./logs.ts";
import { peaksByName, sampleTrees } from "./proc-stats.ts";
import { startRemoteStack } from "./remote-stack.ts";

/** What enqueueing a large source job (`{"jobId", "source": "s3://bucket/key"}`, JSON Lines) costs main. */
export interface SourceJobFigures {
  tasks: number;
  /** Size of the JSON Lines object. */
  objectMb: number;
  /** main's validation of the whole object (its records read and checked): first START to "job source validated", ms. */
  validateMs: number;
  /** From "job source validated" to the step that committed the last task, over all of main's steps, ms. */
  enqueueMs: number;
  /** main invocations that enqueued (the first and each handed-over step). */
  steps: number;
  /** Largest resident set of a main instance while it validated and enqueued (sampled from /proc). */
  mainPeakRssMb: number;
  /** The largest "Max Memory Used" of main's REPORT lines (as Lambda reports it). */
  mainReportedMaxMemoryMb: number;
  /** main's configured memory (settings `functions.main.memory_mb`): the target is peak < this. */
  mainMemoryMb: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `tasks` JSON Lines records to `path`, respecting the stream's backpressure. */
async function writeJsonLines(path: string, tasks: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 10_000;
  for (let from = 0; from < tasks; from += chunk) {
    const names = sampleNames(Math.min(tasks, from + chunk)).slice(from);
    const text = names.map((name) => JSON.stringify({ name })).join("\n");
    if (!out.write(from === 0 ? text : `\n${text}`)) await once(out, "drain");
  }
  out.end("\n");
  await once(out, "finish");
}

/**
 * Measures a `tasks`-record source job on its own stack (no schedule, no nudges: only main works): writes a
 * JSON Lines file, uploads it to the stack's input bucket (multipart, as `fanout submit` does), submits
 * `{jobId, source}` to main, samples every process until the job record says every task is enqueued, then
 * reads validate and enqueue times and main's REPORT lines from its log.
 */
export async function measureSourceJob(options: {
  tasks: number;
  settings: Settings;
  log: (line: string) => void;
}): Promise<SourceJobFigures> {
  const settings = settingsWith(options.settings, { main_nudges_consumer: false });
  const logDir = mkdtempSync(join(tmpdir(), "fanout-bench-source-"));
  const file = join(logDir, "source.jsonl");
  await writeJsonLines(file, options.tasks);
  const bytes = statSync(file).size;
  const stack = await startRemoteStack({ latencyMs: 0, schedule: false, logDir, settings });
  try {
    Object.assign(process.env, stack.env);
    const s3 = createS3Client();
    const key = `bench/${options.tasks}.jsonl`;
    await new Upload({
      client: s3,
      params: { Bucket: stack.resources.inputBucket, Key: key, Body: createReadStream(file) },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done();
    s3.destroy();
    rmSync(file);
    options.log(`  source: ${options.tasks} records (${(bytes / 1e6).toFixed(1)} MB) uploaded`);

    const store = createStore({
      tableName: stack.resources.tableName,
      ttlSeconds: settings.dedup.ttl_seconds,
    });
    const jobId = `bench-source-${Date.now()}`;
    const sampler = sampleTrees([{ pid: stack.pid, role: "stack", tree: true }], 500);
    const started = Date.now();
    await submitToMain(stack, { jobId, source: `s3://${stack.resources.inputBucket}/${key}` });
    // Steps hand over by invoking main again; a step that makes no progress for this long is a failure.
    const stallMs = 180_000;
    let last = -1;
    let lastProgress = Date.now();
    for (;;) {
      const job = await readJob(store, jobId);
      const to = job?.enqueue?.to ?? 0;
      if (job && to >= job.total) break;
      if (to > last) {
        if (last >= 0)
          options.log(
            `  source: ${to}/${options.tasks} enqueued, ${((Date.now() - started) / 1000).toFixed(0)} s`,
          );
        last = to;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > stallMs)
        throw new Error(
          `no enqueue progress for ${stallMs / 1000} s (${to}/${options.tasks}): see ${logDir}`,
        );
      await sleep(2_000);
    }
    store.client.destroy();
    const sample = sampler.stop();
    await stack.idle();
    // Log lines land a moment after their invocation ends.
    await sleep(1_000);

    let firstStart = Number.NaN;
    let validatedAt = Number.NaN;
    let enqueuedAt = Number.NaN;
    let steps = 0;
    let reported = 0;
    for (const r of readLog(logDir, stack.names.mainFunction)) {
      const t = Date.parse(r.time);
      if (r.message.startsWith("START")) {
        // Only this job runs on this stack, nudges off: every main invocation is one of its steps.
        steps += 1;
        if (Number.isNaN(firstStart)) firstStart = t;
      }
      reported = Math.max(reported, reportOf(r.message)?.maxMemoryMb ?? 0);
      const line = jsonOf(r);
      if (line?.jobId !== jobId) continue;
      if (line.message === "job source validated") validatedAt = t;
      if (line.message === "enqueue step committed" && line.to === options.tasks) enqueuedAt = t;
    }
    const main = peaksByName(sample.peaks).find((p) => p.name === stack.names.mainFunction);
    return {
      tasks: options.tasks,
      objectMb: bytes / 1e6,
      validateMs: validatedAt - firstStart,
      enqueueMs: enqueuedAt - validatedAt,
      steps,
      mainPeakRssMb: main?.peakRssMb ?? Number.NaN,
      mainReportedMaxMemoryMb: reported,
      mainMemoryMb: settings.functions.main.memory_mb,
    };
  } finally {
    await stack.stop();
  }
}
