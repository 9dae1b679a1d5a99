import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { encodeTask, makeTask } from "@fanout/core";
import { waitUntil } from "@fanout/emulators";
import { queueDepth, sendMessages } from "@fanout/queue";
import { metricSum, sumMetrics } from "@fanout/tooling";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { functionEnvironment } from "../src/function-specs.ts";
import { startTestStack, type TestStack } from "../src/testing.ts";

/**
 * Each alarm of terraform/modules/alarms, its condition made to happen on the local stack, and the local
 * stand-in for the metric the alarm reads compared with the alarm's threshold from the settings: SQS queue
 * depths from the emulator, Lambda's Errors, Throttles, AsyncEventsDropped and DestinationDeliveryFailures
 * from the local Lambda service's counters, Duration from its timeout. What CloudWatch itself does with
 * them (periods, missing data, the SNS topic) needs an AWS account: see the README's smoke test.
 */
let stack: TestStack;
beforeEach(async () => {
  stack = await startTestStack({
    name_prefix: "alarms-e2e",
    queue: { max_receive_count: 2 },
    // A short consumer timeout so that a run reaching it takes seconds; the alarm ratio stays past the
    // consumer's own budget (2.5 s of 3 s), as the settings schema demands.
    functions: { consumer: { timeout_seconds: 3 } },
    consumer: { safety_margin_ms: 500, receive_wait_seconds: 1 },
    // The shortest age the alarm takes: the age test waits this long.
    alarms: { consumer_duration_ratio: 0.9, oldest_message_age_seconds: 60 },
  });
}, 60_000);
afterEach(() => stack?.stop());

const stats = (fn: string) => {
  const s = stack.lambda.stats()[fn];
  if (!s) throw new Error(`no stats for ${fn}`);
  return s;
};
const alarms = () => stack.settings.alarms;
const job = (n: number) => ({
  jobId: `a-${Math.random().toString(36).slice(2, 10)}`,
  names: Array.from({ length: n }, (_, i) => ({ name: `Name${i}` })),
});
/** A job whose every task fails every attempt: Lambda retries each event, then gives it up. */
async function submitFailingJob() {
  stack.setWorkerEnvironment({ WORKER_FAIL_RATE: "1" });
  const submitted = job(1);
  expect((await stack.invoke(stack.names.mainFunction, submitted)).functionError).toBeUndefined();
  return submitted;
}

describe("alarm conditions on the local stack", () => {
  it("dead-letter-queue-not-empty: a malformed message ends in the DLQ after max_receive_count receives, never dispatched", async () => {
    const { failed } = await sendMessages(stack.sqs, stack.resources.tasksQueueUrl, [
      { id: "0", body: "not a task" },
    ]);
    expect(failed).toEqual([]);
    const visible = await waitUntil("the malformed message to reach the dead-letter queue", async () => {
      await stack.invoke(stack.names.consumerFunction, {});
      const depth = await queueDepth(stack.sqs, stack.resources.deadLetterQueueUrl);
      return depth.visible > 0 ? depth.visible : undefined;
    });
    expect(visible).toBeGreaterThan(0); // the alarm: ApproximateNumberOfMessagesVisible > 0
    expect(stack.dispatches()).toBe(0);
  });

  it("failed-tasks-queue-not-empty, worker-errors and worker-async-events-dropped: a task that fails every attempt", async () => {
    await submitFailingJob();
    const visible = await waitUntil("the failed task's record in the failed-task queue", async () => {
      const depth = await queueDepth(stack.sqs, stack.resources.failedQueueUrl);
      return depth.visible > 0 ? depth.visible : undefined;
    });
    await stack.lambda.idle();
    const worker = stats(stack.names.workerFunction);
    expect(visible).toBeGreaterThan(0);
    // 1 attempt + maximum_retry_attempts retries, each a function error.
    expect(worker.invocations.failed).toBe(1 + stack.settings.worker_async.maximum_retry_attempts);
    expect(worker.invocations.failed).toBeGreaterThan(alarms().errors_threshold);
    // AsyncEventsDropped counts an event given up after its retries, even when a destination got it.
    expect(worker.async.discarded).toBe(1);
    expect(worker.async.deliveredToDestination).toBe(1);
  });

  it("worker-destination-delivery-failures: the on-failure destination cannot take the record", async () => {
    const missing = stack.resources.failedQueueUrl.replace(/[^/]+$/, "no-such-queue");
    stack.lambda.configure(stack.names.workerFunction, {
      async: {
        maximumRetryAttempts: stack.settings.worker_async.maximum_retry_attempts,
        maximumEventAgeSeconds: stack.settings.worker_async.maximum_event_age_seconds,
        onFailureQueueUrl: missing,
      },
    });
    await submitFailingJob();
    const failures = await waitUntil("a failed delivery to the on-failure destination", () => {
      const n = stats(stack.names.workerFunction).async.destinationDeliveryFailures;
      return n > 0 ? n : undefined;
    });
    expect(failures).toBe(1);
  });

  it("main-submit-failures: a valid job main cannot enqueue moves JobsSubmitted{failed}; a refused job does not", async () => {
    const failedSubmissions = () =>
      metricSum(
        sumMetrics(stack.logs(stack.names.mainFunction), { namespace: stack.settings.metrics.namespace }),
        "JobsSubmitted",
        "failed",
      );
    // The caller's mistake: a function error (Lambda counts it in Errors, so main has no Errors alarm), but
    // not this alarm's metric.
    const refused = await stack.invoke(stack.names.mainFunction, { names: [{ name: "" }] });
    expect(refused.functionError).toBe("Unhandled");
    await waitUntil(
      "main's refusal to be logged",
      () => metricSum(sumMetrics(stack.logs(stack.names.mainFunction)), "JobsSubmitted", "refused") > 0,
    );
    expect(failedSubmissions()).toBe(0);
    // main's own failure: its tasks queue is gone.
    stack.lambda.configure(stack.names.mainFunction, {
      environment: {
        ...functionEnvironment("main", stack.settings, stack.resources),
        TASKS_QUEUE_URL: stack.resources.tasksQueueUrl.replace(/[^/]+$/, "no-such-queue"),
      },
    });
    const failed = await stack.invoke(stack.names.mainFunction, job(2));
    expect(failed.functionError).toBe("Unhandled");
    const moved = await waitUntil("JobsSubmitted{failed} to move", () => failedSubmissions() || undefined);
    expect(moved).toBe(1);
  });

  it("consumer-errors: a consumer whose configuration is invalid fails its runs", async () => {
    stack.lambda.configure(stack.names.consumerFunction, {
      environment: { ...functionEnvironment("consumer", stack.settings, stack.resources), POLLERS: "none" },
    });
    const run = await stack.invoke(stack.names.consumerFunction, {});
    expect(run.functionError).toBeDefined();
    expect(stats(stack.names.consumerFunction).invocations.failed).toBeGreaterThan(alarms().errors_threshold);
  });

  it("worker-throttles: a worker with no concurrency left throttles the events dispatched to it", async () => {
    stack.lambda.configure(stack.names.workerFunction, { reservedConcurrency: 0 });
    const submitted = job(2);
    expect((await stack.invoke(stack.names.mainFunction, submitted)).functionError).toBeUndefined();
    const throttled = await waitUntil("the worker's events to be throttled", () => {
      const n = stats(stack.names.workerFunction).invocations.throttled;
      return n > 0 ? n : undefined;
    });
    expect(throttled).toBeGreaterThan(alarms().throttles_threshold);
  });

  it("consumer-duration-near-timeout: a consumer run that reaches its timeout lasts past the alarm's threshold", async () => {
    const timeoutMs = stack.settings.functions.consumer.timeout_seconds * 1000;
    const thresholdMs = Math.floor(timeoutMs * alarms().consumer_duration_ratio);
    stack.lambda.setFaults(stack.names.consumerFunction, { forceTimeout: true });
    const started = performance.now();
    const run = await stack.invoke(stack.names.consumerFunction, {});
    const durationMs = performance.now() - started;
    expect(run.functionError).toBeDefined();
    // The alarm reads Duration (Maximum) > ratio × timeout; a run killed at its timeout lasted the timeout.
    expect(durationMs).toBeGreaterThan(thresholdMs);
  });

  it("tasks-oldest-message-age: with the consumer throttled, a task is not drained and grows older than the threshold", async () => {
    const task = makeTask("a-old", 0, "Name0", Date.now());
    await sendMessages(stack.sqs, stack.resources.tasksQueueUrl, [{ id: "0", body: encodeTask(task) }]);
    // The consumer cannot run: every invoke (the schedule's, a nudge, this one) is throttled.
    stack.lambda.configure(stack.names.consumerFunction, { reservedConcurrency: 0 });
    const run = await stack.invoke(stack.names.consumerFunction, {}).catch((error: unknown) => error);
    expect(String((run as Error).name ?? run)).toMatch(/TooManyRequests/);
    // SQS has no API for the age (only the CloudWatch metric): peek at the message's SentTimestamp, leaving
    // it visible, then wait until the clock passes the threshold and see that it is still there.
    const peek = async () => {
      const out = await stack.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.resources.tasksQueueUrl,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ["SentTimestamp"],
        }),
      );
      const sent = Number(out.Messages?.[0]?.Attributes?.SentTimestamp);
      if (!Number.isFinite(sent)) throw new Error("no message with a SentTimestamp in the tasks queue");
      return sent;
    };
    const sentAt = await peek();
    const thresholdMs = alarms().oldest_message_age_seconds * 1000;
    await waitUntil("the oldest task to pass the alarm's age", () => Date.now() - sentAt > thresholdMs, {
      timeoutMs: thresholdMs + 60_000,
      intervalMs: 1_000,
    });
    // Still the same message, never dispatched: the age the alarm reads keeps growing.
    expect(await peek()).toBe(sentAt);
    expect(stack.dispatches()).toBe(0);
  }, 240_000);
});
