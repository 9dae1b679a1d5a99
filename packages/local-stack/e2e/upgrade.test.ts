import { randomUUID } from "node:crypto";
import { readJobStatus } from "@fanout/job-state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionNames, zipPathOf } from "../src/paths.ts";
import { readRelease } from "../src/releases.ts";
import { submitToMain } from "../src/submit-job.ts";
import { startTestStack, type TestStack } from "../src/testing.ts";

/**
 * The release rule (releases/README.md): each release reads what the one before it wrote. A job is started
 * on the previous release's zips, and the stack switches to this build's zips while it runs, as a deploy
 * does (running invocations finish on the old code, later ones start on the new).
 */
const previous = readRelease("0.1.0");
const total = 30;
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack(
    {},
    // A cap of one task at a time and 200 ms a task: the job runs for seconds after its first success.
    { code: previous.zipPaths, maxConcurrency: 8, workerEnvironment: { WORKER_DELAY_MS: "200" } },
  );
}, 120_000);
afterAll(() => stack?.stop());

describe(`upgrade from v${previous.version}`, () => {
  it(`a job started on v${previous.version} finishes exactly once after the stack switches to this build mid-job`, async () => {
    const jobId = `upgrade-${randomUUID().slice(0, 8)}`;
    const startedAfterSwitch: string[] = [];
    let switched = false;
    stack.lambda.events.on("invocationStart", (e: { function: string; requestId: string }) => {
      if (switched && e.function === stack.names.workerFunction) startedAfterSwitch.push(e.requestId);
    });
    await submitToMain(stack, {
      jobId,
      names: Array.from({ length: total }, (_, i) => ({ name: `Upgrade${i}` })),
      maxConcurrency: 1,
    });
    // The old worker has written a task's outcome and the job's counters: now deploy this build.
    for (;;) {
      const status = await readJobStatus(stack.store, jobId);
      if (status.succeeded > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const fn of functionNames) stack.deployCode(fn, zipPathOf(fn));
    switched = true;
    const before = await readJobStatus(stack.store, jobId);
    expect(before.succeeded, "tasks left for the new code").toBeLessThan(total);

    const status = await stack.waitForJob(jobId, 600_000);
    expect(status).toMatchObject({ done: true, succeeded: total, failed: 0, cancelled: 0 });
    expect(startedAfterSwitch.length, "worker invocations on the new code").toBeGreaterThan(0);
    // Exactly once: every task's handler ran once, old code or new.
    const runs = stack.workerRuns().filter((r) => r.taskId.startsWith(`${jobId}#`));
    expect(runs.map((r) => r.name).sort()).toEqual(
      Array.from({ length: total }, (_, i) => `Upgrade${i}`).sort(),
    );
  }, 660_000);
});
