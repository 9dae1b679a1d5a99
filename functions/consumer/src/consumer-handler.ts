import { randomUUID } from "node:crypto";
import { type LambdaContext, type Logger, usage, usageSince } from "@fanout/core";
import { type DrainDeps, drain } from "./drain.ts";
import { releaseSlot, requestedSlot, type ScaleOutDeps, startScaler, takeSlot } from "./scale-out.ts";
import { countStreamBatch, isStreamEvent, type StreamBatchAnswer } from "./stream-batch.ts";
import { type DrainSummary, emptySummary } from "./summary.ts";

/** Everything a consumer run needs but the Lambda context: clients, names and tunables. */
export type ConsumerHandlerDeps = Omit<DrainDeps, "owner"> & {
  logger: Logger;
  /** Run slots and scale-out; without it every run drains (no cap on runs at once). */
  scaleOut?: ScaleOutDeps;
};

/** The consumer's handler: a stream batch is answered with its failed records, any other event drains. */
export interface ConsumerFunction {
  (
    event: { Records: readonly { eventSource: "aws:dynamodb" }[] },
    context: LambdaContext,
  ): Promise<StreamBatchAnswer>;
  (event: unknown, context: LambdaContext): Promise<DrainSummary>;
}

/**
 * The consumer's Lambda handler, built from its dependencies (handler.ts builds them from the
 * environment once per container; the fault explorer builds them over its simulated AWS).
 * Runs on the schedule, on a nudge from `main`, or by hand (the event is ignored): a drain of the tasks
 * queue. Invoked by the table's stream (a batch of DynamoDB records), it counts the task changes instead
 * (stream-batch.ts). The run's metrics are written at its end, also when it fails.
 */
export function consumerHandler(deps: ConsumerHandlerDeps): ConsumerFunction {
  return async function consumer(
    event: unknown,
    context: LambdaContext,
  ): Promise<DrainSummary | StreamBatchAnswer> {
    deps.logger.addContext(context as never);
    if (isStreamEvent(event)) {
      try {
        return await countStreamBatch(deps, event);
      } finally {
        deps.metrics?.flush();
      }
    }
    // Unique per attempt: Lambda may deliver one async event twice under one request id, and the two must
    // not share a run slot or a task claim (G7, G4). The request id stays in it for the logs.
    const owner = `${context.awsRequestId}/${randomUUID().slice(0, 8)}`;
    // The run's requests and capacity: the drain's, and taking and freeing its run slot.
    const before = usage();
    try {
      const drained = deps.scaleOut
        ? await drainInSlot(deps, deps.scaleOut, event, context, owner)
        : await drain({ ...deps, owner }, context);
      const summary = { ...drained, ...usageSince(before) };
      deps.logger.info("consumer run finished", { ...summary, owner });
      return summary;
    } finally {
      deps.metrics?.flush();
    }
  } as ConsumerFunction;
}

/**
 * A run drains only while it holds a run slot (at most `maxParallel` runs at once), and the lowest slot
 * starts more runs while the backlog is large. The slot is a lease: a run that dies frees it at the end.
 */
async function drainInSlot(
  deps: ConsumerHandlerDeps,
  scale: ScaleOutDeps,
  event: unknown,
  context: LambdaContext,
  owner: string,
): Promise<DrainSummary> {
  const requested = requestedSlot(event, scale.maxParallel);
  const leaseMs = context.getRemainingTimeInMillis() + 30_000;
  const slot = await takeSlot(deps.store, scale, requested, owner, leaseMs);
  if (slot === undefined) return { ...emptySummary(), stopped: "no-slot" };
  const scaler = startScaler(deps, scale, slot);
  let runsStarted = 0;
  try {
    const summary = await drain({ ...deps, owner }, context);
    runsStarted = await scaler.stop();
    return { ...summary, runSlot: slot, runsStarted };
  } finally {
    await scaler.stop();
    await releaseSlot(deps.store, scale, slot, owner).catch((error: unknown) =>
      deps.logger.warn("could not free the run slot; its lease ends by itself", { error: String(error) }),
    );
  }
}
