import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { requestCounts } from "@fanout/core";
import { type BaselineTarget, baselineEnqueue, baselineInvocation } from "./baseline.ts";
import { Activity, Capacity, trackActivity, trackCapacity } from "./instrument.ts";
import { type ConsumerRun, delta } from "./ours.ts";
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
  const before = requestCounts();
  const started = performance.now();
  activity.reset();
  let handed = 0;
  let invocations = 0;
  let invocationMs = 0;
  for (;;) {
    const run = await baselineInvocation(instrumented);
    invocations += 1;
    invocationMs += run.ms;
    handed += run.received;
    if (run.received === 0 && (handed >= tasks || (await queuedMessages(target.tasksQueueUrl)) === 0)) break;
  }
  const seconds = (activity.last - started) / 1000;
  // The last invocation found the queue empty; it is not part of the work.
  const working = Math.max(1, invocations - 1);
  return {
    tasks: handed,
    invocations: working,
    seconds,
    tasksPerSecond: handed / seconds,
    invocationMs: invocationMs / invocations,
    tasksPerInvocation: handed / working,
    requests: delta(before, requestCounts()),
    capacity: { read: capacity.read, write: capacity.write },
  };
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
