import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { requestCounts } from "@fanout/core";
import { type BaselineTarget, baselineEnqueue, baselineInvocation } from "./baseline.ts";
import { Activity, Capacity, trackActivity, trackCapacity } from "./instrument.ts";
import { type ConsumerRun, delta, measureConsumer } from "./ours.ts";
import { queuedMessages } from "./workload.ts";

export interface SeedTarget extends Omit<BaselineTarget, "instrument"> {
  tasksQueueUrl: string;
}

/** The seed's consumer, invoked back to back (as if the schedule fired it without pause) until the queue is empty. */
export async function runBaselineConsumer(target: SeedTarget, tasks: number): Promise<ConsumerRun> {
  const activity = new Activity();
  const capacity = new Capacity();
  const instrumented: BaselineTarget = {
    ...target,
    instrument: (client) => {
      trackActivity(client, activity);
      if (client instanceof DynamoDBClient) trackCapacity(client, capacity);
      return client;
    },
  };
  // The last invocation found the queue empty; it is not part of the work.
  return measureConsumer(
    activity,
    capacity,
    async (_, handedBefore) => {
      const run = await baselineInvocation(instrumented);
      const last =
        run.received === 0 && (handedBefore >= tasks || (await queuedMessages(target.tasksQueueUrl)) === 0);
      return { ms: run.ms, handed: run.received, last };
    },
    { lastIsIdle: true },
  );
}

/** The seed's main.py enqueueing `bodies`: requests and wall time per task. */
export async function runBaselineEnqueue(
  target: SeedTarget,
  bodies: readonly string[],
): Promise<{ tasks: number; msPerTask: number; requests: Record<string, number> }> {
  const before = requestCounts();
  const started = performance.now();
  await baselineEnqueue(target, bodies);
  return {
    tasks: bodies.length,
    msPerTask: (performance.now() - started) / bodies.length,
    requests: delta(before, requestCounts()),
  };
}
