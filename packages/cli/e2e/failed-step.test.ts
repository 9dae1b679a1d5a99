import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { localCredentials, waitUntil } from "@fanout/emulators";
import { readJob, releaseEnqueueStep, takeEnqueueStep } from "@fanout/job-state";
import { asyncInvokeOf } from "@fanout/local-stack";
import { startTestStack, type TestStack } from "@fanout/local-stack/testing";
import { queueDepth } from "@fanout/queue";
import { metricSum, type SettingsInput, sumMetrics } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBin } from "../src/testing.ts";

/**
 * A source job's enqueue step that fails every attempt (issue 19): main's own asynchronous invocation is
 * retried by Lambda, then its event goes to the on-failure destination (the failed-task queue), where the
 * alarms see it (failed-tasks-queue-not-empty, main-async-events-dropped, main-enqueue-step-failures) and
 * `fanout failed redrive` restarts it. The step fails because another step holds the job's enqueue lease
 * (a blocker this test takes and later lets go), as a step that died holding it would.
 */
const settings: SettingsInput = { name_prefix: "cli-step" };
let stack: TestStack;
let settingsFile: string;

beforeAll(async () => {
  stack = await startTestStack(settings);
  const dir = mkdtempSync(join(tmpdir(), "fanout-cli-step-"));
  settingsFile = join(dir, "settings.json");
  writeFileSync(settingsFile, JSON.stringify(settings));
}, 60_000);
afterAll(() => stack?.stop());

const steps = (outcome: string) =>
  metricSum(
    sumMetrics(stack.logs(stack.names.mainFunction), { namespace: stack.settings.metrics.namespace }),
    "EnqueueSteps",
    outcome,
  );

describe("a source job's failed enqueue step", () => {
  it("lands in the failed-task queue after Lambda's retries, moves the step alarms, and failed redrive restarts it", async () => {
    const s3 = new S3Client({
      endpoint: stack.endpoints.s3,
      region: stack.settings.aws_region,
      credentials: localCredentials,
      forcePathStyle: true,
    });
    const key = "step.jsonl";
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.resources.inputBucket,
        Key: key,
        Body: `${["a", "b", "c"].map((name) => JSON.stringify({ name })).join("\n")}\n`,
      }),
    );
    s3.destroy();
    const submitted = await stack.invoke(stack.names.mainFunction, {
      jobId: "step-job",
      source: `s3://${stack.resources.inputBucket}/${key}`,
    });
    expect(submitted.functionError).toBeUndefined();
    const job = await readJob(stack.store, "step-job");
    expect(job?.enqueue?.to).toBe(3);
    // A step holds the job's enqueue lease for ten minutes (as one that died would): every attempt of the
    // next step fails busy, so Lambda retries it, then gives it up to the destination.
    const taken = await takeEnqueueStep(stack.store, "step-job", 3, "continue/blocker", 600_000);
    expect(taken.taken).toBe(true);
    const event = { continueJob: { jobId: "step-job", epoch: job?.epoch ?? 0, from: 3 } };
    await stack.client.send(
      new InvokeCommand({
        FunctionName: stack.names.mainFunction,
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
    const record = await waitUntil("the step's record in the failed-task queue", async () => {
      const depth = await queueDepth(stack.sqs, stack.resources.failedQueueUrl);
      return depth.visible > 0 ? depth.visible : undefined;
    });
    expect(record).toBe(1);
    await stack.lambda.idle();
    const main = stack.lambda.stats()[stack.names.mainFunction];
    // The alarms' signals: main's AsyncEventsDropped, and EnqueueSteps{failed} once per attempt.
    expect(main?.async.discarded).toBe(1);
    expect(main?.async.deliveredToDestination).toBe(1);
    expect(steps("failed")).toBe(1 + asyncInvokeOf.main.maximumRetryAttempts);
    // What `failed list` shows of it: the step, not a task.
    const listed = await runBin(["failed", "list", "--json", "--settings", settingsFile], stack.env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ jobId: "step-job", step: event.continueJob, problem: null }),
    ]);

    // The blocker's lease is let go (or lapses); the operator redrives: the step runs again and finishes.
    await releaseEnqueueStep(stack.store, "step-job", "continue/blocker");
    const dry = await runBin(["failed", "redrive", "--dry-run", "--settings", settingsFile], stack.env);
    expect(dry.stdout).toContain("enqueue step of step-job from task 3: would restart it");
    const redrive = await runBin(["failed", "redrive", "--settings", settingsFile], stack.env);
    expect(redrive.stdout).toContain("enqueue step of step-job from task 3: restarted");
    expect(redrive.code).toBe(0);
    await waitUntil("the restarted step to finish", () => steps("finished") || undefined);
    expect((await queueDepth(stack.sqs, stack.resources.failedQueueUrl)).visible).toBe(0);
    expect((await readJob(stack.store, "step-job"))?.enqueue).toMatchObject({ to: 3 });
    expect((await readJob(stack.store, "step-job"))?.enqueue?.owner).toBeUndefined();
  });
});
