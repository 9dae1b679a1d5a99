import { randomUUID } from "node:crypto";
import {
  type Continuation,
  continuationSchema,
  defaultJobId,
  encodeTask,
  InvalidJobError,
  type Issue,
  jobLimits,
  type LambdaContext,
  parseSourceJob,
  type SourceJobRequest,
  sourceContentHash,
  sourceTaskOf,
  type TaskFormat,
} from "@fanout/core";
import { invokeAsync } from "@fanout/invoker";
import {
  commitEnqueueStep,
  confirmHandover,
  type JobInfo,
  readJob,
  recordJob,
  releaseEnqueueStep,
  renewEnqueueStep,
  restartEnqueue,
  takeEnqueueStep,
} from "@fanout/job-state";
import { type OutgoingMessage, type SendResult, sendMessages } from "@fanout/queue";
import { checkSource, openSource, readRecords, type S3Client, SourceNotFoundError } from "@fanout/source";
import { z } from "zod";
import type { SourceDeps, SubmitDeps, SubmitResult } from "./deps.ts";
import { EnqueueBusyError, throwIfUnsent } from "./errors.ts";
import { nudgeConsumer } from "./nudge.ts";

/**
 * Who holds a step's lease: a continuation (`{"continueJob"}`, invoked asynchronously, so Lambda retries it if
 * it dies) or a submission (a caller's synchronous invoke, which nothing retries but its caller).
 */
type StepKind = "submit" | "continue";
const retriedByLambda = (owner: string | undefined) => owner?.startsWith("continue/") === true;

/** Messages per SendMessage chunk, chunks in flight, and bytes per chunk: bounds main's memory. */
const chunkMessages = 500;
const chunkBytes = 4 * 1024 * 1024;
const chunksInFlight = 4;

/**
 * A job whose tasks are in S3: reads the whole object once to validate every record (an invalid job
 * enqueues nothing, and names up to 100 bad records by line), records the job with the object's ETag,
 * then enqueues in steps, each resuming from the byte offset the previous one committed (ADR 0013).
 */
export async function submitSourceJob(
  event: unknown,
  deps: SubmitDeps,
  context: LambdaContext,
): Promise<SubmitResult> {
  const request = parseSourceJob(event);
  const source = deps.source;
  if (!source) {
    throw new InvalidJobError([
      { path: "source", reason: "this deployment reads no job sources (its main has no INPUT_BUCKET)" },
    ]);
  }
  if (request.source.bucket !== source.bucket) {
    throw new InvalidJobError([
      {
        path: "source",
        reason: `source must be in the input bucket s3://${source.bucket}/ (got s3://${request.source.bucket}/)`,
      },
    ]);
  }
  const checked = await validateSource(source.s3, request);
  const jobId = request.jobId ?? defaultJobId(checked.contentHash);
  deps.logger.appendKeys({ jobId });
  deps.logger.info("job source validated", { source: request.source.url, tasks: checked.total });
  const { created, epoch } = await recordJob(deps.store, {
    jobId,
    contentHash: checked.contentHash,
    total: checked.total,
    options: request.options,
    source: {
      url: request.source.url,
      etag: checked.etag,
      format: checked.format,
      layout: request.source.layout,
    },
  });
  let from = 0;
  if (!created) {
    const job = await readJob(deps.store, jobId);
    const to = job?.enqueue?.to ?? 0;
    // Enqueued in full: send everything again (lost messages come back, dedup drops the rest), as for
    // an inline job. Part way: resume where it stopped (a live step refuses the lease: nothing is sent).
    if (job && to >= job.total && (await restartEnqueue(deps.store, job, randomUUID()))) from = 0;
    else from = to;
  }
  const step = await enqueueStep(deps, source, context, { jobId, epoch, from }, "submit");
  return { jobId, tasks: checked.total, created, ...step };
}

/** A step handed over by a previous one (or its duplicate): continues the recorded job from `from`. */
export async function continueSourceJob(
  event: unknown,
  deps: SubmitDeps,
  context: LambdaContext,
): Promise<SubmitResult> {
  const parsed = continuationSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidJobError([{ path: "continueJob", reason: z.prettifyError(parsed.error) }]);
  }
  const next = parsed.data.continueJob;
  deps.logger.appendKeys({ jobId: next.jobId });
  if (!deps.source) throw new Error("a continuation reached a main without INPUT_BUCKET");
  const step = await enqueueStep(deps, deps.source, context, next, "continue");
  return { jobId: next.jobId, tasks: step.total, created: false, ...step };
}

interface Checked {
  etag: string;
  total: number;
  format: TaskFormat;
  contentHash: string;
}

/** Reads the whole object once: every record checked, counted and hashed; nothing held but one record. */
async function validateSource(s3: S3Client, request: SourceJobRequest): Promise<Checked> {
  const opened = await openSource(s3, request.source).catch((error: unknown) => {
    if (error instanceof SourceNotFoundError)
      throw new InvalidJobError([{ path: "source", reason: error.message }]);
    throw error;
  });
  const checked = await checkSource(opened.body, request.source.layout, request.format);
  const where = request.source.layout === "lines" ? "line" : "element";
  const issues: Issue[] = checked.issues.map((i) => ({ path: `${where} ${i.at}`, reason: i.reason }));
  if (checked.layoutError) issues.push({ path: "source", reason: checked.layoutError });
  if (checked.tooMany)
    issues.push({ path: "source", reason: `a source may hold at most ${jobLimits.maxSourceTasks} tasks` });
  if (checked.tasks === 0 && issues.length === 0)
    issues.push({ path: "source", reason: "source holds no tasks" });
  if (checked.bad > checked.issues.length) {
    issues.push({
      path: "source",
      reason: `${checked.bad} bad records in all; the first ${checked.issues.length} are listed`,
    });
  }
  if (issues.length > 0) throw new InvalidJobError(issues);
  return {
    etag: opened.etag,
    total: checked.tasks,
    format: checked.format,
    contentHash: sourceContentHash(checked.sha256, checked.format, request.options),
  };
}

interface StepResult {
  total: number;
  /** Tasks in the queue once this step ended (committed by this step or another). */
  enqueued: number;
  /** True when this step passed the rest of the job to a next step. */
  handedOver: boolean;
  /** True when another live step holds the job's enqueue lease: this one sent nothing. */
  inProgress?: boolean;
}

/**
 * One enqueue step: takes the job's enqueue lease at `from`, sends tasks until the job ends or its time
 * runs short (renewing the lease as chunks go out), commits how far it got, then hands the rest to a new
 * invocation of main. Sends happen before the commit, so a crash re-sends (dedup drops the copies) and never
 * skips a task.
 */
async function enqueueStep(
  deps: SubmitDeps,
  source: SourceDeps,
  context: LambdaContext,
  at: Continuation,
  kind: StepKind,
): Promise<StepResult> {
  const owner = `${kind}/${randomUUID()}`;
  const leaseMs = source.enqueueLeaseMs ?? 60_000;
  const take = await takeEnqueueStep(deps.store, at.jobId, at.from, owner, leaseMs);
  if (!take.taken) {
    const job = take.job;
    if (!job || job.epoch !== at.epoch || !job.source) {
      deps.logger.warn("enqueue step for a job that is gone or replaced; nothing to do", {
        reason: take.reason,
      });
      return { total: job?.total ?? 0, enqueued: 0, handedOver: false };
    }
    const to = job.enqueue?.to ?? 0;
    const live = job.enqueue?.leaseUntil !== undefined && job.enqueue.leaseUntil >= deps.store.now();
    if (take.reason === "busy") return busy(deps, job, kind);
    // This step's work was committed but its hand-over may have been lost (a crash, a failed invoke): a
    // retry of it passes the rest on again. A duplicate hand-over finds the next step's lease taken.
    const confirmed = (job.enqueue?.handedOverTo ?? 0) >= to;
    if (to > at.from && to < job.total && !live && !confirmed) {
      await handOver(deps, source, job, to);
      return { total: job.total, enqueued: to, handedOver: true };
    }
    // Committed past `from` (or restarted): another step, with its own event, holds the rest.
    deps.logger.info("enqueue step skipped", { reason: take.reason, enqueued: to });
    return { total: job.total, enqueued: to, handedOver: false, inProgress: live };
  }
  const job = take.job;
  try {
    if (job.epoch !== at.epoch || !job.source || !job.enqueue)
      throw new Error(`job ${at.jobId} is not this source job`);
    let renewedAt = deps.store.now();
    // At most a write every quarter lease: a live step's lease always has most of its length left.
    const keepLease = async () => {
      if (deps.store.now() - renewedAt < leaseMs / 4) return true;
      renewedAt = deps.store.now();
      return renewEnqueueStep(deps.store, job.jobId, owner, leaseMs);
    };
    const to = await sendFrom(deps, source, context, job, at.from, keepLease);
    if (to.leaseLost || !(await commitEnqueueStep(deps.store, job.jobId, owner, to.index, to.offset))) {
      deps.logger.warn("enqueue lease lost (it lapsed and another step took it over); that step goes on", {
        from: at.from,
        readTo: to.index,
      });
      const now = await readJob(deps.store, job.jobId);
      const committed = now?.enqueue?.to;
      // The step that took over committed already: this step's part is in the queue.
      if (!now || now.epoch !== job.epoch || committed !== at.from)
        return { total: job.total, enqueued: committed ?? 0, handedOver: false, inProgress: true };
      return busy(deps, now, kind);
    }
    deps.logger.info("enqueue step committed", { from: at.from, to: to.index, total: job.total });
    await nudgeConsumer(deps);
    if (to.index < job.total) {
      await handOver(deps, source, job, to.index);
      return { total: job.total, enqueued: to.index, handedOver: true };
    }
    return { total: job.total, enqueued: to.index, handedOver: false };
  } catch (error) {
    await releaseEnqueueStep(deps.store, at.jobId, owner).catch(() => undefined);
    throw error;
  }
}

/**
 * Another step holds the lease. A continuation fails ({@link EnqueueBusyError}), so that Lambda retries it:
 * the holder may have died, and a retry after its lease lapsed takes over (answering success here would end
 * the event's retries and strand the job, issue 18). A submission answers `inProgress` only when the holder
 * is a continuation, which Lambda retries if it dies; a holder that is another submission is retried by
 * nothing but its caller, so this caller is told to submit again after the lease instead.
 */
function busy(deps: SubmitDeps, job: JobInfo, kind: StepKind): StepResult {
  const leaseUntil = job.enqueue?.leaseUntil ?? deps.store.now();
  const enqueued = job.enqueue?.to ?? 0;
  deps.logger.info("enqueue lease held by another step", {
    enqueued,
    leaseUntil,
    holder: job.enqueue?.owner,
  });
  if (kind === "continue" || !retriedByLambda(job.enqueue?.owner))
    throw new EnqueueBusyError(job.jobId, leaseUntil);
  return { total: job.total, enqueued, handedOver: false, inProgress: true };
}

async function handOver(deps: SubmitDeps, source: SourceDeps, job: JobInfo, from: number): Promise<void> {
  if (!source.selfFunctionName)
    throw new Error("cannot hand the rest of the job over: AWS_LAMBDA_FUNCTION_NAME is unset");
  const next: Continuation = { jobId: job.jobId, epoch: job.epoch, from };
  await invokeAsync(source.lambda, source.selfFunctionName, JSON.stringify({ continueJob: next }));
  await confirmHandover(deps.store, job.jobId, from);
}

/** Sends the job's tasks from `from` in chunks (several in flight) until the end or the time margin. */
async function sendFrom(
  deps: SubmitDeps,
  source: SourceDeps,
  context: LambdaContext,
  job: JobInfo,
  from: number,
  /** Renews the step's lease (when due); false once another step has taken it over. */
  keepLease: () => Promise<boolean>,
): Promise<{ index: number; offset: number; leaseLost?: boolean }> {
  const src = job.source as NonNullable<JobInfo["source"]>;
  const progress = job.enqueue as NonNullable<JobInfo["enqueue"]>;
  // Every task is in the queue (a restarted or repeated last step): nothing to read. Opening the source at
  // its end would be a range S3 refuses (416 InvalidRange), failing a step that has nothing left to do.
  if (from >= job.total) return { index: from, offset: progress.offset };
  const [, bucket = "", key = ""] = /^s3:\/\/([^/]+)\/(.+)$/.exec(src.url) ?? [];
  const opened = await openSource(source.s3, { bucket, key }, { etag: src.etag, fromByte: progress.offset });
  const margin = source.handoverMarginMs ?? 15_000;
  const results: SendResult[] = [];
  const inFlight = new Set<Promise<void>>();
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  let index = from;
  let offset = progress.offset;
  const flush = async () => {
    if (chunk.length === 0) return;
    const messages = chunk;
    chunk = [];
    bytes = 0;
    const send: Promise<void> = sendMessages(deps.sqs, deps.tasksQueueUrl, messages).then((r) => {
      results.push(r);
      inFlight.delete(send);
    });
    inFlight.add(send);
    // Never more than chunksInFlight chunks read ahead of the sends: main's memory stays bounded.
    while (inFlight.size >= chunksInFlight) await Promise.race(inFlight);
  };
  let stopped = false;
  let leaseLost = false;
  for await (const record of readRecords(opened.body, src.layout, {
    maxRecordBytes: jobLimits.maxSourceRecordBytes,
    offset: progress.offset,
  })) {
    const body = encodeTask(sourceTaskOf(job.jobId, index, JSON.parse(record.text), src.format, job.epoch));
    chunk.push({ id: String(index), body });
    bytes += body.length;
    index += 1;
    offset = record.end;
    if (chunk.length >= (source.chunkMessages ?? chunkMessages) || bytes >= chunkBytes) {
      await flush();
      // Another step took the job over: it re-sends from the last commit, so stop here.
      if (!(await keepLease())) {
        leaseLost = true;
        break;
      }
      // At least one chunk per step, so a step always makes progress.
      if (index < job.total && context.getRemainingTimeInMillis() < margin) {
        stopped = true;
        break;
      }
    }
  }
  if (!leaseLost) await flush();
  await Promise.all(inFlight);
  const sent = results.reduce((n, r) => n + r.sent, 0);
  deps.metrics?.count("TasksEnqueued", sent);
  if (leaseLost) return { index, offset, leaseLost };
  throwIfUnsent(
    job.jobId,
    results.flatMap((r) => r.failed),
    index - from,
  );
  // The ETag pins the bytes, so this is a bug guard: a step never commits past the validated count.
  if (index > job.total || (!stopped && index !== job.total)) {
    throw new Error(`job ${job.jobId}: its source now holds ${index} tasks, not ${job.total}`);
  }
  return { index, offset };
}
