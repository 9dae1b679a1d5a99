import type { Task } from "@fanout/core";
import { queueDepth } from "@fanout/queue";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./errors.ts";
import { type FailedRecord, receiveRecords, release } from "./failed-records.ts";
import type { FailedListFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { printable, table, truncate, writeJson, writeLine } from "./output.ts";

/** Seconds a peeked record stays hidden if this process dies before giving it back. */
export const peekVisibilitySeconds = 30;

/** One row of `failed list --json`. */
export interface FailedListEntry {
  messageId: string;
  taskId: string | null;
  jobId: string | null;
  index: number | null;
  /** A seed-format task's name; null for a task of the `tasks` format (see `payload`). */
  name: string | null;
  /** A `tasks`-format task's payload (any JSON value); absent for a seed-format task. */
  payload?: unknown;
  /** A failed enqueue step of a source job: where it was to enqueue from. */
  step?: { jobId: string; epoch: number; from: number };
  errorType: string | null;
  errorMessage: string | null;
  condition: string | null;
  approximateInvokeCount: number | null;
  timestamp: string | null;
  problem: string | null;
}

export function toEntry(r: FailedRecord): FailedListEntry {
  return {
    messageId: r.messageId,
    taskId: r.taskId ?? null,
    jobId: r.task?.jobId ?? r.step?.jobId ?? null,
    index: r.task?.index ?? null,
    name: r.task?.v === 1 ? r.task.name : null,
    ...(r.task?.v === 2 ? { payload: r.task.payload } : {}),
    errorType: r.errorType ?? null,
    errorMessage: r.errorMessage ?? null,
    condition: r.condition ?? null,
    approximateInvokeCount: r.approximateInvokeCount ?? null,
    timestamp: r.timestamp ?? null,
    problem: r.problem ?? null,
    // A failed enqueue step of a source job (main's event), which `failed redrive` restarts.
    ...(r.step ? { step: r.step } : {}),
  };
}

/** What a table shows of a task: a seed task's name, or the payload of a `tasks`-format task as JSON. */
export function taskLabel(task: Task | undefined): string | undefined {
  if (!task) return undefined;
  return task.v === 1 ? task.name : (JSON.stringify(task.payload) ?? "null");
}

const cell = (text: string | null | undefined, max: number) => printable(truncate(text ?? "-", max));

/**
 * `fanout failed list`: shows the failed-task queue without consuming it. Records are received with a
 * short visibility timeout and made visible again at once, so they stay there for `failed redrive`.
 *
 * @example
 * const code = await failedList(ctx, io, { json: true, max: 50 });
 */
export async function failedList(ctx: CliContext, io: Io, flags: FailedListFlags): Promise<number> {
  const url = await ctx.queueUrl(ctx.names.failedQueue);
  let records: FailedRecord[] = [];
  let extraHandles: string[] = [];
  try {
    ({ records, extraHandles } = await receiveRecords(ctx.sqs, url, {
      max: flags.max,
      visibilitySeconds: peekVisibilitySeconds,
    }));
  } finally {
    await release(ctx.sqs, url, [...records.map((r) => r.receiptHandle), ...extraHandles]);
  }
  if (flags.json) {
    writeJson(io.stdout, records.map(toEntry));
    return ExitCode.Ok;
  }
  if (records.length === 0) {
    writeLine(io.stdout, `no failed tasks in ${ctx.names.failedQueue}`);
    return ExitCode.Ok;
  }
  const rows = records.map((r) => [
    cell(r.taskId, 80),
    cell(r.task?.jobId, 64),
    cell(taskLabel(r.task), 24),
    r.problem
      ? `unreadable: ${cell(r.problem, 60)}`
      : cell([r.errorType, r.errorMessage].filter(Boolean).join(": "), 60),
    cell(r.condition, 20),
    r.approximateInvokeCount === undefined ? "-" : String(r.approximateInvokeCount),
  ]);
  writeLine(io.stdout, table(["TASK ID", "JOB ID", "NAME/PAYLOAD", "ERROR", "CONDITION", "INVOKES"], rows));
  const depth = await queueDepth(ctx.sqs, url).catch(() => undefined);
  const approx = depth ? depth.visible + depth.inFlight : undefined;
  const more = approx !== undefined && approx > records.length ? ` of about ${approx}` : "";
  writeLine(io.stdout, `${records.length}${more} failed task record${records.length === 1 ? "" : "s"} shown`);
  return ExitCode.Ok;
}
