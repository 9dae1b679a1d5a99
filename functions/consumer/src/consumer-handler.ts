import type { LambdaContext, Logger } from "@fanout/core";
import { type DrainDeps, drain } from "./drain.ts";
import type { DrainSummary } from "./summary.ts";

/** Everything a consumer run needs but the Lambda context: clients, names and tunables. */
export type ConsumerHandlerDeps = Omit<DrainDeps, "owner"> & { logger: Logger };

/**
 * The consumer's Lambda handler, built from its dependencies (handler.ts builds them from the
 * environment once per container; the fault explorer builds them over its simulated AWS).
 * Runs on the schedule, on a nudge from `main`, or by hand; the event is ignored. The run's metrics are
 * written at its end, also when it fails.
 */
export function consumerHandler(deps: ConsumerHandlerDeps) {
  return async function consumer(_event: unknown, context: LambdaContext): Promise<DrainSummary> {
    deps.logger.addContext(context as never);
    try {
      const summary = await drain({ ...deps, owner: context.awsRequestId }, context);
      deps.logger.info("consumer run finished", { ...summary });
      return summary;
    } finally {
      deps.metrics?.flush();
    }
  };
}
