import { type LambdaContext, requestCounts } from "@fanout/core";
import { type SubmitDeps, type SubmitResult, submitJob } from "./submit.ts";

/**
 * The main function's Lambda handler, built from its dependencies (handler.ts builds them from the
 * environment once per container; the fault explorer builds them over its simulated AWS).
 */
export function mainHandler(deps: SubmitDeps) {
  return async function main(event: unknown, context: LambdaContext): Promise<SubmitResult> {
    deps.logger.addContext(context as never);
    try {
      return await submitJob(event, deps);
    } catch (error) {
      // Every path logs its AWS requests, so the e2e IAM check sees the calls of refusals too.
      deps.logger.error("job not accepted", { error: String(error), requests: requestCounts() });
      throw error;
    } finally {
      deps.logger.resetKeys();
    }
  };
}
