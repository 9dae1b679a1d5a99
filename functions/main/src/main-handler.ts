import {
  InvalidJobError,
  isContinuation,
  isSourceJob,
  JobConflictError,
  type LambdaContext,
  PayloadTooLargeError,
  resetRequestCounts,
  usage,
  ValidationError,
} from "@fanout/core";
import { SourceChangedError } from "@fanout/source";
import type { SubmitDeps, SubmitResult } from "./deps.ts";
import { continueSourceJob, submitSourceJob } from "./source-submit.ts";
import { submitJob } from "./submit.ts";

/** A job the caller must change before it can be accepted (as opposed to a fault on our side). */
const refused = (error: unknown) =>
  error instanceof InvalidJobError ||
  error instanceof ValidationError ||
  error instanceof JobConflictError ||
  error instanceof PayloadTooLargeError ||
  error instanceof SourceChangedError;

/**
 * The main function's Lambda handler, built from its dependencies (handler.ts builds them from the
 * environment once per container; the fault explorer builds them over its simulated AWS).
 * Counts JobsSubmitted by outcome and writes the invocation's metrics at its end, also on errors.
 */
export function mainHandler(deps: SubmitDeps) {
  return async function main(event: unknown, context: LambdaContext): Promise<SubmitResult> {
    deps.logger.addContext(context as never);
    // Each invocation's log lines carry its own requests and capacity, not the container's so far.
    resetRequestCounts();
    // A later enqueue step of a source job: not a submission, so not counted as one, but as a step (a step
    // that fails is retried by Lambda, then lands in the on-failure destination: the alarms watch both).
    if (isContinuation(event)) {
      try {
        const result = await continueSourceJob(event, deps, context);
        const outcome = result.handedOver
          ? "handedOver"
          : (result.enqueued ?? 0) >= result.tasks
            ? "finished"
            : "skipped";
        deps.metrics?.count("EnqueueSteps", 1, outcome);
        deps.logger.info("enqueue step finished", { outcome, enqueued: result.enqueued ?? 0, ...usage() });
        return result;
      } catch (error) {
        deps.metrics?.count("EnqueueSteps", 1, "failed");
        deps.logger.error("enqueue step failed", { error: String(error), ...usage() });
        throw error;
      } finally {
        deps.metrics?.flush();
        deps.logger.resetKeys();
      }
    }
    try {
      const result = isSourceJob(event)
        ? await submitSourceJob(event, deps, context)
        : await submitJob(event, deps);
      deps.metrics?.count("JobsSubmitted", 1, result.created ? "created" : "resubmitted");
      return result;
    } catch (error) {
      deps.metrics?.count("JobsSubmitted", 1, refused(error) ? "refused" : "failed");
      // Every path logs its AWS requests, so the e2e IAM check sees the calls of refusals too.
      deps.logger.error("job not accepted", { error: String(error), ...usage() });
      throw error;
    } finally {
      deps.metrics?.flush();
      deps.logger.resetKeys();
    }
  };
}
