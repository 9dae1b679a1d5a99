import { join } from "node:path";
import { consumerConfigSchema, mainConfigSchema, workerConfigSchema } from "@fanout/core";
import type { FanoutResources } from "@fanout/emulators";
import { loadStack } from "@fanout/infra-check";
import { parseSettings, resourceNames } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import { asyncInvokeOf, functionEnvironment, functionSpecs, serviceEnvironment } from "./function-specs.ts";
import { repoRoot } from "./paths.ts";

/** A Terraform interpolation as hcl2json writes it. */
const expr = (inner: string): string => `\${${inner}}`;

const settings = parseSettings({});
const resources: FanoutResources = {
  tasksQueueUrl: "http://127.0.0.1:1/000000000000/fanout-tasks",
  deadLetterQueueUrl: "http://127.0.0.1:1/000000000000/fanout-tasks-dlq",
  failedQueueUrl: "http://127.0.0.1:1/000000000000/fanout-failed-tasks",
  tableName: "fanout-dedup",
  jobsTopicArn: "arn:aws:sns:us-east-1:000000000000:fanout-jobs.fifo",
  inputBucket: "fanout-input",
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
      // main's failed enqueue steps go to the failed-task queue; the consumer's runs nowhere.
      const destination =
        fn === "main" ? { on_failure_destination_arn: expr("module.queue.failed_tasks_queue_arn") } : {};
      expect(terraform, `async_invoke of module "${fn}"`).toEqual({
        maximum_retry_attempts: asyncInvokeOf[fn].maximumRetryAttempts,
        maximum_event_age_seconds: asyncInvokeOf[fn].maximumEventAgeSeconds,
        ...destination,
      });
      const spec = specs.find((s) => s.name === names[`${fn}Function`]);
      expect(spec?.async).toEqual({
        maximumRetryAttempts: terraform?.maximum_retry_attempts,
        maximumEventAgeSeconds: terraform?.maximum_event_age_seconds,
        ...(fn === "main" ? { onFailureQueueUrl: resources.failedQueueUrl } : {}),
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

describe("functionEnvironment", () => {
  /** The logger and Powertools read these themselves; no config schema lists them. */
  const powertools = [
    "LOG_LEVEL",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_TRACE_ENABLED",
  ];
  /** Lambda sets this one (the local Lambda service too); a function's configuration may not. */
  const setByLambda = ["AWS_LAMBDA_FUNCTION_NAME"];
  const schemas = { main: mainConfigSchema, consumer: consumerConfigSchema, worker: workerConfigSchema };

  it("gives each function exactly the variables its config schema reads, and each one parses", () => {
    for (const [fn, schema] of Object.entries(schemas) as [
      keyof typeof schemas,
      (typeof schemas)[keyof typeof schemas],
    ][]) {
      const env = functionEnvironment(fn, settings, resources);
      const read = Object.keys(schema.shape).filter((k) => !setByLambda.includes(k));
      expect(Object.keys(env).sort(), fn).toEqual([...read, ...powertools].sort());
      expect(schema.safeParse(env).success, fn).toBe(true);
    }
  });

  it("points main at the input bucket and gives the consumer the settings' scale-out", () => {
    const scaled = parseSettings({ consumer: { max_parallel: 7, scale_out_backlog: 250 } });
    expect(functionEnvironment("main", scaled, resources)).toMatchObject({ INPUT_BUCKET: "fanout-input" });
    expect(functionEnvironment("consumer", scaled, resources)).toMatchObject({
      CONSUMER_MAX_PARALLEL: "7",
      SCALE_OUT_BACKLOG: "250",
    });
  });

  it("leaves every endpoint, S3's and the Lambda service's included, to the service-wide variables", () => {
    const env = serviceEnvironment({
      sqs: "http://127.0.0.1:1",
      sns: "http://127.0.0.1:1",
      s3: "http://127.0.0.1:1",
      dynamo: "http://127.0.0.1:2",
      lambda: "http://127.0.0.1:3",
    });
    expect(env).toEqual({
      AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:1",
      AWS_ENDPOINT_URL_SNS: "http://127.0.0.1:1",
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1",
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:2",
      AWS_ENDPOINT_URL_LAMBDA: "http://127.0.0.1:3",
    });
    for (const fn of ["main", "consumer", "worker"] as const) {
      const own = Object.keys(functionEnvironment(fn, settings, resources));
      expect(
        own.filter((k) => k.startsWith("AWS_")),
        fn,
      ).toEqual([]);
    }
  });
});
