import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { encodeTask, type MetricName, makeTask, taskIdOf } from "@fanout/core";
import { claimTask } from "@fanout/dedup";
import { waitUntil } from "@fanout/emulators";
import { sendMessages } from "@fanout/queue";
import { emfData, type MetricTotal, metricSum, sumMetrics } from "@fanout/tooling";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { functionEnvironment } from "../src/function-specs.ts";
import { startTestStack, type TestStack } from "../src/testing.ts";

/**
 * Each metric moves when its event happens: the built zips on the local Lambda service write their EMF
 * records to the function logs, which are read back and summed as CloudWatch would. A fresh stack (queues,
 * table, log folder) per test, so every figure below is exact.
 */
let stack: TestStack;
beforeEach(async () => {
  stack = await startTestStack({ name_prefix: "metrics-e2e" });
}, 60_000);
afterEach(() => stack?.stop());

/** Every EMF line the three functions wrote so far. */
function emfLines(): Record<string, unknown>[] {
  const { mainFunction, consumerFunction, workerFunction } = stack.names;
  return [mainFunction, consumerFunction, workerFunction]
    .flatMap((fn) => stack.logs(fn))
    .filter((l) => "_aws" in l);
}
const totals = (): MetricTotal[] => sumMetrics(emfLines(), { namespace: "Fanout" });
const sum = (name: MetricName, outcome?: string) => metricSum(totals(), name, outcome);
const samples = (name: MetricName, outcome?: string) =>
  totals()
    .filter((t) => t.name === name && (outcome === undefined || t.dimensions.outcome === outcome))
    .reduce((n, t) => n + t.samples, 0);

/** Waits until a metric reached `value` (log lines are written asynchronously), lets everything settle, and requires exactly `value`. */
async function reaches(name: MetricName, value: number, outcome?: string) {
  await waitUntil(
    `${name}${outcome ? `{${outcome}}` : ""} to reach ${value}`,
    () => sum(name, outcome) >= value,
    {
      timeoutMs: 60_000,
    },
  );
  await stack.lambda.idle();
  // Exact once everything settled: a double count fails here.
  expect(sum(name, outcome)).toBe(value);
}

function job(n: number, jobId = `m-${Math.random().toString(36).slice(2, 10)}`) {
  return { jobId, names: Array.from({ length: n }, (_, i) => ({ name: `Name${i}` })) };
}

/** One task message straight into the stack's tasks queue, as main would send it. */
async function enqueueTask(jobId: string) {
  const task = makeTask(jobId, 0, "Name0", Date.now());
  const { failed } = await sendMessages(stack.sqs, stack.resources.tasksQueueUrl, [
    { id: "0", body: encodeTask(task) },
  ]);
  expect(failed).toEqual([]);
  return task;
}

const runConsumer = async () => (await stack.invoke(stack.names.consumerFunction, {})).payload;

describe("metrics on the local stack", () => {
  it("a submission moves JobsSubmitted and TasksEnqueued; the drain TasksDispatched; success TasksSucceeded, TaskDuration and EnqueueToStartLag", async () => {
    const submitted = job(7);
    expect(await stack.invoke(stack.names.mainFunction, submitted)).toMatchObject({ payload: { tasks: 7 } });
    await reaches("JobsSubmitted", 1, "created");
    expect(sum("TasksEnqueued")).toBe(7);
    // main nudged the consumer, which dispatched the tasks to the worker.
    await stack.waitForJob(submitted.jobId);
    await reaches("TasksSucceeded", 7);
    expect(sum("TasksDispatched")).toBe(7);
    expect(samples("TaskDuration", "succeeded")).toBe(7);
    expect(samples("EnqueueToStartLag")).toBe(7);
    const lag = totals().find((t) => t.name === "EnqueueToStartLag");
    expect(lag?.min).toBeGreaterThanOrEqual(0);
    expect(sum("DuplicatesDropped") + sum("ClaimsBusy") + sum("TasksFailedFinal")).toBe(0);
    // Every record carries the function dimension (and outcome where it has one), never a job or task id.
    for (const line of emfLines())
      for (const d of emfData(line)) {
        expect(Object.keys(d.dimensions).sort()).toEqual(
          d.name === "JobsSubmitted" || d.name === "TaskDuration" ? ["function", "outcome"] : ["function"],
        );
        expect(JSON.stringify(line)).not.toContain(submitted.jobId);
      }

    // An invalid job is refused: JobsSubmitted{refused} moves, TasksEnqueued does not.
    const refused = await stack.invoke(stack.names.mainFunction, { names: [] });
    expect(refused.functionError).toBe("Unhandled");
    await reaches("JobsSubmitted", 1, "refused");
    expect(sum("TasksEnqueued")).toBe(7);
  }, 120_000);

  it("resubmitting a finished job moves JobsSubmitted{resubmitted} and enqueues nothing (no task to drop or dispatch again)", async () => {
    const submitted = job(4);
    await stack.invoke(stack.names.mainFunction, submitted);
    await stack.waitForJob(submitted.jobId);
    await reaches("TasksSucceeded", 4);
    const again = await stack.invoke(stack.names.mainFunction, submitted);
    expect(again.payload).toMatchObject({ created: false, finished: true, tasks: 0 });
    await reaches("JobsSubmitted", 1, "resubmitted");
    expect(sum("TasksEnqueued")).toBe(4);
    expect(sum("DuplicatesDropped")).toBe(0);
    expect(sum("TasksDispatched")).toBe(4);
    expect(sum("TasksSucceeded")).toBe(4);
  }, 120_000);

  it("a task claimed by another consumer moves ClaimsBusy", async () => {
    const task = await enqueueTask("busy-job");
    await claimTask(stack.store, {
      taskId: taskIdOf(task),
      jobId: task.jobId,
      index: task.index,
      epoch: task.epoch,
      owner: "another-consumer-run",
      leaseSeconds: 300,
    });
    expect(await runConsumer()).toMatchObject({ received: 1, busy: 1, dispatched: 0 });
    await reaches("ClaimsBusy", 1);
    expect(sum("TasksDispatched")).toBe(0);
  }, 120_000);

  it("a worker that always fails moves TasksFailedRetryPending on each retried run, then TasksFailedFinal", async () => {
    stack.setWorkerEnvironment({ WORKER_FAIL_RATE: "1" });
    const submitted = job(1);
    await stack.invoke(stack.names.mainFunction, submitted);
    await stack.waitForJob(submitted.jobId);
    const retries = stack.settings.worker_async.maximum_retry_attempts;
    await reaches("TasksFailedFinal", 1);
    expect(sum("TasksFailedRetryPending")).toBe(retries);
    expect(samples("TaskDuration", "failed")).toBe(retries + 1);
    expect(sum("TasksSucceeded")).toBe(0);
    // The lag is the first start's only.
    expect(samples("EnqueueToStartLag")).toBe(1);
    // Pending before final, in the order the runs wrote them.
    const order = emfLines()
      .flatMap((l) => emfData(l))
      .filter((d) => d.name === "TasksFailedRetryPending" || d.name === "TasksFailedFinal")
      .sort((a, b) => a.timestamp - b.timestamp)
      .map((d) => d.name);
    expect(order).toEqual([...Array(retries).fill("TasksFailedRetryPending"), "TasksFailedFinal"]);
  }, 120_000);
});

/**
 * Lambda accepts an Event invoke even for a throttled worker (the local service throttles inside its async
 * queue, as Lambda does), so 429 and 5xx answers to the consumer's Invoke come from this server, which the
 * consumer reaches through AWS_ENDPOINT_URL_LAMBDA: a real HTTP answer, not a fake client.
 */
async function lambdaAnswering(
  answer: "throttle" | "fault" | "hang up",
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (answer === "hang up") return req.socket.destroy();
      const [status, type] =
        answer === "throttle" ? [429, "TooManyRequestsException"] : [500, "ServiceException"];
      res.writeHead(status, {
        "content-type": "application/json",
        "x-amzn-errortype": type,
        "x-amzn-requestid": "fault",
      });
      res.end(JSON.stringify({ message: `${type} (from the test's server)`, Type: "Service" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("invoke failures on the local stack", () => {
  const consumerWith = (extra: Record<string, string>) =>
    stack.lambda.configure(stack.names.consumerFunction, {
      environment: { ...functionEnvironment("consumer", stack.settings, stack.resources), ...extra },
    });

  it.each([
    ["throttle", "InvokesThrottled", "InvokesThrottled", undefined],
    ["fault", "InvokesFailed{retryable}", "InvokesFailed", "retryable"],
    ["hang up", "InvokesFailed{unanswered}", "InvokesFailed", "unanswered"],
  ] as const)(
    "a worker invoke answered with a %s moves %s",
    async (answer, _label, metric, outcome) => {
      const { url, server } = await lambdaAnswering(answer);
      try {
        consumerWith({ AWS_ENDPOINT_URL_LAMBDA: url });
        await enqueueTask(`invoke-${answer.replace(" ", "-")}`);
        expect(await runConsumer()).toMatchObject({ received: 1, retried: 1, dispatched: 0 });
        await reaches(metric, 1, outcome);
        const others = ["InvokesThrottled", "InvokesFailed"].filter((m) => m !== metric) as MetricName[];
        for (const m of others) expect(sum(m)).toBe(0);
        expect(sum("TasksDispatched")).toBe(0);
      } finally {
        server.close();
      }
    },
    120_000,
  );

  it("a worker invoke Lambda refuses (no such function) moves InvokesFailed{permanent}", async () => {
    consumerWith({ WORKER_FUNCTION_NAME: "metrics-e2e-no-such-worker" });
    await enqueueTask("invoke-missing");
    expect(await runConsumer()).toMatchObject({ received: 1, failed: 1, dispatched: 0 });
    await reaches("InvokesFailed", 1, "permanent");
    expect(sum("InvokesThrottled")).toBe(0);
  }, 120_000);
});
