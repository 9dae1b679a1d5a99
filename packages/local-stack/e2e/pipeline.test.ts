import { hostileNames } from "@fanout/core/testing";
import { leastPrivilege } from "@fanout/infra-check";
import { sampleNames } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byService, iamActionOf, perTask, sumCapacity, sumRequests } from "../src/request-report.ts";
import { startTestStack, type TestStack } from "../src/testing.ts";

/** The whole pipeline through the Lambda Invoke API: main → SQS → consumer → worker, all built zips. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);
afterAll(() => stack?.stop());

async function submit(job: unknown) {
  const result = await stack.invoke(stack.names.mainFunction, job);
  if (result.functionError) throw new Error(JSON.stringify(result.payload));
  return result.payload as { jobId: string; tasks: number; created: boolean };
}

describe("pipeline", () => {
  it("delivers hostile names to the worker byte-identical", async () => {
    const names = hostileNames();
    const { jobId } = await submit({ names: names.map((name) => ({ name })) });
    expect(await stack.waitForJob(jobId)).toMatchObject({ succeeded: names.length, failed: 0 });
    await stack.lambda.idle();
    const got = new Map(
      stack
        .workerRuns()
        .filter((r) => r.taskId.startsWith(`${jobId}#`))
        .map((r) => [r.taskId, r.name]),
    );
    names.forEach((name, i) => {
      expect(Buffer.from(got.get(`${jobId}#${i}`) ?? "", "utf8").equals(Buffer.from(name, "utf8"))).toBe(
        true,
      );
    });
  });

  it("dispatches every task once when the same job is submitted twice, and refuses the jobId with other content", async () => {
    const job = { jobId: "twice", names: sampleNames(50).map((name) => ({ name })) };
    const before = stack.dispatches();
    expect(await submit(job)).toMatchObject({ jobId: "twice", tasks: 50, created: true });
    expect(await submit(job)).toMatchObject({ jobId: "twice", tasks: 50, created: false });
    await stack.waitForJob("twice");
    await stack.lambda.idle();
    expect(stack.dispatches() - before).toBe(50);
    expect(stack.workerRuns().filter((r) => r.taskId.startsWith("twice#"))).toHaveLength(50);
    const refused = await stack.invoke(stack.names.mainFunction, { ...job, names: [{ name: "other" }] });
    expect(refused.functionError).toBe("Unhandled");
    expect(refused.payload).toMatchObject({ errorType: "JobConflictError" });
  });

  it("rejects an invalid job as a function error naming each bad entry, and enqueues nothing", async () => {
    const before = stack.dispatches();
    const result = await stack.invoke(stack.names.mainFunction, { names: [{ name: "ok" }, { name: 7 }, {}] });
    expect(result.functionError).toBe("Unhandled");
    expect(result.payload).toMatchObject({
      errorType: "InvalidJobError",
      errorMessage: expect.stringMatching(
        /names\[1\]\.name: name must be a string; names\[2\]\.name: name is missing/,
      ),
    });
    await stack.lambda.idle();
    expect(stack.dispatches()).toBe(before);
  });

  it("processes 2,000 names, hostile ones included, exactly once with exact counters, and reports requests per task", async () => {
    const names = sampleNames(2_000);
    const mainLogs = stack.logs(stack.names.mainFunction).length;
    const consumerLogs = stack.logs(stack.names.consumerFunction).length;
    const workerLogs = stack.logs(stack.names.workerFunction).length;
    const dispatchedBefore = stack.lambda.stats()[stack.names.workerFunction]?.async.enqueued ?? 0;
    const { jobId, tasks } = await submit({ names: names.map((name) => ({ name })) });
    expect(tasks).toBe(2_000);
    expect(await stack.waitForJob(jobId, 120_000)).toMatchObject({
      total: 2_000,
      succeeded: 2_000,
      failed: 0,
      pending: 0,
    });
    await stack.lambda.idle();
    const runs = stack.workerRuns().filter((r) => r.taskId.startsWith(`${jobId}#`));
    expect(runs).toHaveLength(2_000);
    expect(new Set(runs.map((r) => r.taskId)).size).toBe(2_000);

    // Requests per task, as each function's SDK middleware counted them on this run.
    const lines = [
      ...stack.logs(stack.names.mainFunction).slice(mainLogs),
      ...stack.logs(stack.names.consumerFunction).slice(consumerLogs),
      ...stack.logs(stack.names.workerFunction).slice(workerLogs),
    ];
    const counts = sumRequests(lines);
    console.log(
      "requests per task:",
      JSON.stringify(perTask(counts, 2_000)),
      JSON.stringify(perTask(byService(counts), 2_000)),
    );
    const writes = ["DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem"].reduce(
      (n, k) => n + (counts[k] ?? 0),
      0,
    );
    // The middleware counts attempts, so an SDK retry on a busy machine adds one (2,002 invokes were seen
    // once): the budget is a floor here, and exact where it is a guarantee. The exact figures per task are
    // `pnpm demo`'s and `pnpm bench`'s to report.
    // 3 writes per task (claim with its dispatch token, running, outcome with its result; ADR 0015 removed
    // the DISPATCHED write, the worker's running count and its outcome's count), plus the consumer's counter
    // shard writes: its in-flight counts (status's running: one write per counter shard per second of a run)
    // and its counts of the table's stream (one per counter shard per stream batch), each depending on the
    // machine's speed and never more than one per task, plus the job's own: its record, at most two group and
    // progress writes per complete counter shard (16 of 128 tasks), the conditional finishedAt and notifiedAt
    // (ADR 0011, 0014). The floor is the tasks' and shards' writes; a ceiling of 1% retries over all of it
    // still catches a design that spends a fourth write or a second invoke per task.
    const shardWrites =
      sumCapacity(stack.logs(stack.names.consumerFunction).slice(consumerLogs))["shard.write"] ?? 0;
    expect(shardWrites).toBeGreaterThan(0);
    expect(shardWrites).toBeLessThanOrEqual(2 * (2_000 + 16));
    const floor = 2_000 * 3 + shardWrites;
    expect(writes).toBeGreaterThanOrEqual(floor);
    expect(writes).toBeLessThanOrEqual(Math.ceil((floor + 1 + 2 * 16 + 2) * 1.01));
    // One invoke per task, plus main's nudge of the consumer; Lambda accepted exactly one event per task.
    expect(counts["Lambda.Invoke"]).toBeGreaterThanOrEqual(2_000 + 1);
    expect(counts["Lambda.Invoke"]).toBeLessThanOrEqual(Math.ceil((2_000 + 1) * 1.01));
    expect(stack.lambda.stats()[stack.names.workerFunction]?.async.enqueued).toBe(dispatchedBefore + 2_000);
    expect(counts["SQS.SendMessageBatch"]).toBeGreaterThanOrEqual(200);
    expect(counts["SQS.SendMessageBatch"]).toBeLessThanOrEqual(202);
  });

  // Runs last, over the calls of every test above: a new SDK call without its IAM grant fails here, not in AWS.
  it("makes, in each function, only AWS calls that its least-privilege IAM policy in Terraform allows", () => {
    for (const fn of ["main", "consumer", "worker"] as const) {
      const operations = Object.keys(sumRequests(stack.logs(stack.names[`${fn}Function`])));
      expect(operations.length, fn).toBeGreaterThan(0);
      const granted = Object.keys(leastPrivilege[fn] ?? {});
      const missing = operations.filter((op) => !granted.includes(iamActionOf(op)));
      expect(missing, `${fn} calls without an IAM grant`).toEqual([]);
    }
  });
});
