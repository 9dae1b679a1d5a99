import { type LambdaContext, utf8Bytes } from "@fanout/core";
import { ResultNotJsonError, ResultTooLargeError, TaskTimeoutError } from "./errors.ts";
import type { WorkerRuntime } from "./runtime.ts";
import type { StartedRun } from "./start.ts";
import type { WorkerTask } from "./types.ts";

/**
 * The fourth step: runs the handler with a signal that aborts `outcomeReserveMs` before the function's
 * timeout, and serialises its result. Never throws: a thrown error, a result over the limit or not JSON, and a
 * missed deadline are each a FAILED outcome.
 */
export async function runHandler<T>(
  rt: WorkerRuntime<T>,
  task: WorkerTask<T>,
  started: StartedRun,
  context: LambdaContext,
): Promise<{ outcome: HandlerOutcome; handlerMs: number }> {
  const deadlineMs = context.getRemainingTimeInMillis() - rt.reserveMs;
  // Date, not performance: the fault explorer's virtual clock fakes Date, and the run time reaches the
  // consumer's pacing through the slot, so a schedule must replay it exactly.
  const handlerStarted = Date.now();
  const outcome = await runWithDeadline(
    (signal) =>
      rt.taskHandler(task, { logger: rt.deps.logger, lambda: context, attempt: started.attempt, signal }),
    deadlineMs,
    rt.graceMs,
    rt.resultMaxBytes,
  );
  return { outcome, handlerMs: Math.max(0, Date.now() - handlerStarted) };
}

export type HandlerOutcome =
  /** `json`: the result as stored (undefined when the handler returned nothing). */
  | { status: "SUCCEEDED"; result: unknown; json: string | undefined }
  | { status: "FAILED"; error: Error; stillRunning: boolean };

/** The result as JSON text within the limit, or the error that fails the task instead (never a silent cut). */
function serialise(result: unknown, maxBytes: number): HandlerOutcome {
  if (result === undefined) return { status: "SUCCEEDED", result, json: undefined };
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    return { status: "FAILED", error: new ResultNotJsonError({ cause: error }), stillRunning: false };
  }
  // Functions and symbols serialise to nothing: store no result, as for undefined.
  if (json === undefined) return { status: "SUCCEEDED", result: undefined, json: undefined };
  const bytes = utf8Bytes(json);
  if (bytes > maxBytes)
    return { status: "FAILED", error: new ResultTooLargeError(bytes, maxBytes), stillRunning: false };
  return { status: "SUCCEEDED", result, json };
}

/**
 * Runs the handler with a signal that aborts at `ms`; a handler that settles within `graceMs` of the abort
 * counts as settled, one that does not is reported `stillRunning`.
 */
async function runWithDeadline(
  work: (signal: AbortSignal) => Promise<unknown>,
  ms: number,
  graceMs: number,
  resultMaxBytes: number,
): Promise<HandlerOutcome> {
  const controller = new AbortController();
  const settled = work(controller.signal).then(
    (result): HandlerOutcome => serialise(result, resultMaxBytes),
    (error: unknown): HandlerOutcome => ({
      status: "FAILED",
      error: error instanceof Error ? error : new Error(String(error), { cause: error }),
      stillRunning: false,
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const wait = (delay: number) =>
    new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), Math.max(0, delay));
    });
  try {
    const first = await Promise.race([settled, wait(ms)]);
    if (first !== "late") return first;
    const timeout = new TaskTimeoutError(ms);
    controller.abort(timeout);
    const second = await Promise.race([settled, wait(graceMs)]);
    if (second !== "late") return second.status === "SUCCEEDED" ? second : { ...second, error: timeout };
    return { status: "FAILED", error: timeout, stillRunning: true };
  } finally {
    clearTimeout(timer);
  }
}
