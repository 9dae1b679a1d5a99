import { type LambdaContext, usage } from "@fanout/core";
import { finishRun, type RunOutcome, type RunRef } from "@fanout/dedup";
import pRetry from "p-retry";
import { OutcomeNotRecordedError } from "./errors.ts";
import type { HandlerOutcome } from "./run-handler.ts";
import type { WorkerRuntime } from "./runtime.ts";
import type { SlotHold } from "./slot-hold.ts";
import type { StartedRun } from "./start.ts";
import type { WorkerDeps, WorkerResult } from "./types.ts";

/**
 * The fifth step: records the handler's outcome (`finishRun`; its job's counts follow from that write on the
 * table's stream), settles the slot, and logs and counts the outcome. A failure is judged
 * final or retry-pending, recorded, and thrown again so that Lambda's retries and on-failure destination apply;
 * a handler that ignored its deadline ends the process.
 */
export async function recordOutcome<T>(
  rt: WorkerRuntime<T>,
  run: RunRef,
  started: StartedRun,
  handled: { outcome: HandlerOutcome; handlerMs: number },
  context: LambdaContext,
  slot: SlotHold | undefined,
): Promise<WorkerResult> {
  const { deps } = rt;
  const { outcome, handlerMs } = handled;
  if (slot) slot.runMs = handlerMs;
  if (outcome.status === "FAILED") {
    const e = outcome.error;
    const final = !lambdaWillRetry(deps, started, context);
    // Lambda's retry (about 1 minute per attempt so far) finds the slot kept for it, not taken: kept while
    // Lambda has retries left, even when the failure is judged final by the event's age (unsure, the worker
    // says final, and a retry that comes anyway must not spend itself waiting for a slot). A handler that
    // overran its deadline still holds it until its lease ends (its process is ended below).
    if (!final || retriesLeft(deps, started))
      slot?.keepFor(60 * started.eventAttempt + 30 + deps.leaseSeconds);
    if (outcome.stillRunning) slot?.leave();
    await record(
      deps,
      run,
      { status: "FAILED", error: { type: e.name, message: e.message }, final },
      context,
    ).catch((recordError: unknown) => {
      deps.logger.error("could not record FAILED", { error: String(recordError) });
    });
    await slot?.settle();
    deps.logger.error("task failed", {
      attempt: started.attempt,
      eventAttempt: started.eventAttempt,
      final,
      error: { type: e.name, message: e.message },
      ...usage(),
    });
    deps.metrics?.sample("TaskDuration", handlerMs, "failed");
    deps.metrics?.count(final ? "TasksFailedFinal" : "TasksFailedRetryPending");
    if (outcome.stillRunning) {
      // The handler ignored its signal: end the process, or it would run on beside Lambda's retry.
      // Its slot stays held until its lease ends, by which time the process is gone.
      deps.logger.error("handler did not stop after its deadline; ending the process");
      deps.metrics?.flush();
      rt.exit();
    }
    throw e;
  }
  await record(
    deps,
    run,
    { status: "SUCCEEDED", ...(outcome.json === undefined ? {} : { result: outcome.json }) },
    context,
  );
  // After the write: a run whose SUCCEEDED was never recorded is a Lambda error, not a success.
  deps.metrics?.sample("TaskDuration", handlerMs, "succeeded");
  deps.metrics?.count("TasksSucceeded");
  await slot?.settle();
  deps.logger.info("task succeeded", { attempt: started.attempt, ...usage() });
  return outcome.json === undefined
    ? { taskId: run.taskId, status: "SUCCEEDED" }
    : { taskId: run.taskId, status: "SUCCEEDED", result: outcome.result };
}

/** Whether Lambda has retries of this event left, whatever its age (`lambdaWillRetry` adds the age). */
function retriesLeft<T>(deps: WorkerDeps<T>, start: { eventAttempt: number }): boolean {
  return start.eventAttempt <= (deps.asyncRetries?.maximumRetryAttempts ?? 2);
}

/**
 * Whether Lambda will deliver this event again after this failure: retries left, and the next retry (about
 * 1 minute after the first failure, 2 after the second) still inside the maximum event age, counted from the
 * dispatch. When unsure, say no: a retry that comes anyway moves the task to succeeded, while a "pending" that
 * never comes would hold the job open for ever.
 */
function lambdaWillRetry<T>(
  deps: WorkerDeps<T>,
  start: { eventAttempt: number; dispatchedAt: number | undefined },
  context: LambdaContext,
): boolean {
  const { maximumEventAgeSeconds } = deps.asyncRetries ?? { maximumEventAgeSeconds: 21_600 };
  if (!retriesLeft(deps, start)) return false;
  // Not dispatched by a consumer (yet): invoked by hand, perhaps synchronously, which Lambda never retries.
  if (start.dispatchedAt === undefined) return false;
  const nextTry = Date.now() + context.getRemainingTimeInMillis() + 60_000 * start.eventAttempt;
  return nextTry < start.dispatchedAt + maximumEventAgeSeconds * 1000;
}

/**
 * Writes the outcome, retrying through DynamoDB faults until shortly before Lambda's timeout. A refused write
 * (the lease was lost) is logged, not retried. The job's counts follow from the write on the table's stream.
 */
async function record<T>(
  deps: WorkerDeps<T>,
  run: RunRef,
  outcome: RunOutcome,
  context: LambdaContext,
): Promise<void> {
  try {
    const finished = await pRetry(() => finishRun(deps.store, run, outcome), {
      retries: 20,
      minTimeout: 100,
      maxTimeout: 1_000,
      factor: 2,
      shouldRetry: () => context.getRemainingTimeInMillis() > 1_500,
    });
    if (!finished.recorded) deps.logger.warn(`RUNNING lease was lost before ${outcome.status} was recorded`);
  } catch (error) {
    throw new OutcomeNotRecordedError(outcome.status, { cause: error });
  }
}
