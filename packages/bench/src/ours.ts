import { drain } from "@fanout/consumer";
import { createLogger, type RequestCounts, requestCounts, type Settings } from "@fanout/core";
import { createDynamoClient, createStore } from "@fanout/dedup";
import { createLambdaClient } from "@fanout/invoker";
import { createSqsClient } from "@fanout/queue";
import { Activity, Capacity, trackActivity, trackCapacity } from "./instrument.ts";

export interface ConsumerTarget {
  tasksQueueUrl: string;
  tableName: string;
  workerFunctionName: string;
  settings: Settings;
}

/** What one consumer variant did over one queue: measured in this process. */
export interface ConsumerRun {
  tasks: number;
  invocations: number;
  /** From the start to the last useful response (an empty long poll at the end is not work). */
  seconds: number;
  tasksPerSecond: number;
  /** Mean wall time of one invocation. */
  invocationMs: number;
  /** Tasks handed on per invocation, on average. */
  tasksPerInvocation: number;
  requests: RequestCounts;
  capacity: { read: number; write: number };
}

export function delta(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = {};
  for (const [key, n] of Object.entries(after)) {
    const d = n - (before[key] ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

/**
 * fanout's consumer, exactly as its handler runs it (`drain` with the settings' pollers, concurrency,
 * margin and wait, clients made once per container), called in this process with a context whose
 * remaining time is the function's timeout. Invoked again, as the schedule would, until `tasks` are
 * handed on.
 */
export async function runOurConsumer(target: ConsumerTarget, tasks: number): Promise<ConsumerRun> {
  const c = target.settings.consumer;
  const activity = new Activity();
  const capacity = new Capacity();
  const sockets = c.dispatch_concurrency + c.pollers * 2;
  const sqs = trackActivity(createSqsClient({ maxSockets: sockets }), activity);
  const lambda = trackActivity(createLambdaClient({ maxSockets: sockets }), activity);
  const dynamo = trackCapacity(
    trackActivity(createDynamoClient({ maxSockets: sockets }), activity),
    capacity,
  );
  const store = createStore({
    tableName: target.tableName,
    ttlSeconds: target.settings.dedup.ttl_seconds,
    client: dynamo,
  });
  const budgetMs = target.settings.functions.consumer.timeout_seconds * 1000;
  const before = requestCounts();
  const started = performance.now();
  activity.reset();
  let handed = 0;
  let invocations = 0;
  let invocationMs = 0;
  try {
    while (handed < tasks) {
      const t = performance.now();
      const summary = await drain(
        {
          sqs,
          lambda,
          store,
          logger: createLogger("consumer"),
          tasksQueueUrl: target.tasksQueueUrl,
          workerFunctionName: target.workerFunctionName,
          leaseSeconds: target.settings.dedup.claim_lease_seconds,
          owner: `bench-${invocations}`,
          pollers: c.pollers,
          dispatchConcurrency: c.dispatch_concurrency,
          safetyMarginMs: c.safety_margin_ms,
          receiveWaitSeconds: c.receive_wait_seconds,
        },
        { getRemainingTimeInMillis: () => budgetMs - (performance.now() - t) },
      );
      invocations += 1;
      invocationMs += performance.now() - t;
      handed += summary.dispatched + summary.duplicates;
      if (summary.received === 0 && summary.stopped === "empty") break;
    }
  } finally {
    sqs.destroy();
    lambda.destroy();
    dynamo.destroy();
  }
  const seconds = (activity.last - started) / 1000;
  return {
    tasks: handed,
    invocations,
    seconds,
    tasksPerSecond: handed / seconds,
    invocationMs: invocationMs / invocations,
    tasksPerInvocation: handed / invocations,
    requests: delta(before, requestCounts()),
    capacity: { read: capacity.read, write: capacity.write },
  };
}
