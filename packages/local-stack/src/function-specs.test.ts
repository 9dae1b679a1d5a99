import { join } from "node:path";
import { parseSettings, resourceNames } from "@fanout/core";
import type { FanoutResources } from "@fanout/emulators";
import { loadStack } from "@fanout/infra-check";
import { describe, expect, it } from "vitest";
import { functionSpecs, unretriedAsync } from "./function-specs.ts";
import { repoRoot } from "./paths.ts";

const settings = parseSettings({});
const resources: FanoutResources = {
  tasksQueueUrl: "http://127.0.0.1:1/000000000000/fanout-tasks",
  deadLetterQueueUrl: "http://127.0.0.1:1/000000000000/fanout-tasks-dlq",
  failedQueueUrl: "http://127.0.0.1:1/000000000000/fanout-failed-tasks",
  tableName: "fanout-dedup",
  jobsTopicArn: "arn:aws:sns:us-east-1:000000000000:fanout-jobs.fifo",
  names: resourceNames(settings),
};

describe("functionSpecs' async-invoke settings", () => {
  it("are what terraform/main.tf sets for main and consumer (parsed from the HCL)", async () => {
    const stack = await loadStack(join(repoRoot, "terraform"));
    const specs = functionSpecs(settings, resources, (fn) => `/code/${fn}`);
    const names = resourceNames(settings);
    for (const fn of ["main", "consumer"] as const) {
      const call = stack.root.moduleCalls.get(fn);
      expect(call, `module "${fn}" in terraform/main.tf`).toBeDefined();
      const terraform = call?.async_invoke as Record<string, unknown> | undefined;
      expect(terraform, `async_invoke of module "${fn}"`).toEqual({
        maximum_retry_attempts: unretriedAsync.maximumRetryAttempts,
        maximum_event_age_seconds: unretriedAsync.maximumEventAgeSeconds,
      });
      const spec = specs.find((s) => s.name === names[`${fn}Function`]);
      expect(spec?.async).toEqual({
        maximumRetryAttempts: terraform?.maximum_retry_attempts,
        maximumEventAgeSeconds: terraform?.maximum_event_age_seconds,
      });
    }
  }, 60_000);

  it("give the worker the settings' retries and event age, and the failed-task queue", () => {
    const specs = functionSpecs(settings, resources, (fn) => `/code/${fn}`);
    const worker = specs.find((s) => s.name === resourceNames(settings).workerFunction);
    expect(worker?.async).toEqual({
      maximumRetryAttempts: settings.worker_async.maximum_retry_attempts,
      maximumEventAgeSeconds: settings.worker_async.maximum_event_age_seconds,
      onFailureQueueUrl: resources.failedQueueUrl,
    });
  });
});
