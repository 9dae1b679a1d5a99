import { drain } from "@fanout/consumer";
import { createLogger, type RequestCounts, requestCounts } from "@fanout/core";
import { createLambdaClient } from "@fanout/invoker";
import { createDynamoClient, createStore } from "@fanout/job-state";
import { createSqsClient } from "@fanout/queue";
import type { Settings } from "@fanout/tooling";
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
  try {
    return await measureConsumer(activity, capacity, async (invocation, handedBefore) => {
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
          owner: `bench-${invocation}`,
          pollers: c.pollers,
          dispatchConcurrency: c.dispatch_concurrency,
          safetyMarginMs: c.safety_margin_ms,
          receiveWaitSeconds: c.receive_wait_seconds,
        },
        { getRemainingTimeInMillis: () => budgetMs - (performance.now() - t) },
      );
      const handed = summary.dispatched + summary.duplicates;
      const empty = summary.received === 0 && summary.stopped === "empty";
      return { ms: performance.now() - t, handed, last: empty || handedBefore + handed >= tasks };
    });
  } finally {
    sqs.destroy();
    lambda.destroy();
    dynamo.destroy();
  }
}

/** One invocation of a consumer variant, as {@link measureConsumer} counts it. */
export interface ConsumerInvocation {
  ms: number;
  /** Tasks it handed on. */
  handed: number;
  /** Stop invoking after this one. */
  last: boolean;
}

/**
 * Invokes a consumer variant back to back (`invoke` gets the invocation's number and the tasks handed on
 * before it) until one says it was the last, and measures the run: from the start to the last useful
 * response, requests and DynamoDB capacity. With `lastIsIdle`, the last invocation (it found the queue
 * empty) is not counted as work.
 */
export async function measureConsumer(
  activity: Activity,
  capacity: Capacity,
  invoke: (invocation: number, handedBefore: number) => Promise<ConsumerInvocation>,
  options: { lastIsIdle?: boolean } = {},
): Promise<ConsumerRun> {
  const before = requestCounts();
  const started = performance.now();
  activity.reset();
  let handed = 0;
  let invocations = 0;
  let invocationMs = 0;
  for (;;) {
    const run = await invoke(invocations, handed);
    invocations += 1;
    invocationMs += run.ms;
    handed += run.handed;
    if (run.last) break;
  }
  const seconds = (activity.last - started) / 1000;
  const working = options.lastIsIdle ? Math.max(1, invocations - 1) : invocations;
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
