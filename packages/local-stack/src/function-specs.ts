import type { FanoutResources } from "@fanout/emulators";
import type { FunctionSpec } from "@fanout/local-lambda";
import { resourceNames, type Settings } from "@fanout/tooling";
import type { FunctionName } from "./paths.ts";

/**
 * Each function's environment, exactly as terraform/main.tf sets it (the infra checks compare the two
 * lists of variable names).
 */
export function functionEnvironment(fn: FunctionName, settings: Settings, resources: FanoutResources) {
  const names = resourceNames(settings);
  const common = {
    LOG_LEVEL: settings.log_level,
    POWERTOOLS_SERVICE_NAME: names[`${fn}Function`],
    POWERTOOLS_METRICS_NAMESPACE: settings.metrics.namespace,
    // No X-Ray daemon here: tracing stays off whatever the settings say (the local Lambda service sets
    // AWS_EXECUTION_ENV, so Powertools alone would turn it on).
    POWERTOOLS_TRACE_ENABLED: "false",
    DEDUP_TTL_SECONDS: String(settings.dedup.ttl_seconds),
  };
  switch (fn) {
    case "main":
      return {
        ...common,
        TASKS_QUEUE_URL: resources.tasksQueueUrl,
        TABLE_NAME: resources.tableName,
        MAX_TASKS_PER_JOB: String(settings.max_tasks_per_job),
        // The bucket job sources must be in (`{"source": "s3://<bucket>/<key>"}`); fauxqs serves it locally.
        INPUT_BUCKET: resources.inputBucket,
        ...(settings.main_nudges_consumer ? { CONSUMER_FUNCTION_NAME: names.consumerFunction } : {}),
      };
    case "consumer":
      return {
        ...common,
        TASKS_QUEUE_URL: resources.tasksQueueUrl,
        TABLE_NAME: resources.tableName,
        WORKER_FUNCTION_NAME: names.workerFunction,
        CLAIM_LEASE_SECONDS: String(settings.dedup.claim_lease_seconds),
        POLLERS: String(settings.consumer.pollers),
        DISPATCH_CONCURRENCY: String(settings.consumer.dispatch_concurrency),
        SAFETY_MARGIN_MS: String(settings.consumer.safety_margin_ms),
        RECEIVE_WAIT_SECONDS: String(settings.consumer.receive_wait_seconds),
        CONSUMER_MAX_PARALLEL: String(settings.consumer.max_parallel),
        SCALE_OUT_BACKLOG: String(settings.consumer.scale_out_backlog),
        JOBS_TOPIC_ARN: resources.jobsTopicArn,
      };
    case "worker":
      return {
        ...common,
        TABLE_NAME: resources.tableName,
        RUN_LEASE_SECONDS: String(settings.functions.worker.timeout_seconds + 30),
        MAX_RETRY_ATTEMPTS: String(settings.worker_async.maximum_retry_attempts),
        MAX_EVENT_AGE_SECONDS: String(settings.worker_async.maximum_event_age_seconds),
        RESULT_MAX_BYTES: String(settings.max_result_bytes),
      };
  }
}

/**
 * The variables the local Lambda service gives every function, below each function's own: the emulators'
 * endpoints, so the SDK inside a function reaches them through its standard settings. `AWS_ENDPOINT_URL_S3`
 * is fauxqs (the input bucket, served on the SQS port); `AWS_ENDPOINT_URL_LAMBDA` is the service itself, for
 * main's nudge of the consumer, main's hand-over to itself and the consumer's invokes. Region, credentials
 * and `AWS_LAMBDA_FUNCTION_NAME` are Lambda's own variables, which the service sets per function.
 */
export function serviceEnvironment(endpoints: {
  sqs: string;
  sns: string;
  s3: string;
  dynamo: string;
  lambda: string;
}) {
  return {
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamo,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
  };
}

/**
 * Lambda's asynchronous-invoke settings for `main` and `consumer`, exactly as terraform/main.tf sets them
 * (`async_invoke` of `module "main"` and `module "consumer"`, which the function module turns into an
 * `aws_lambda_function_event_invoke_config`). The consumer: no retries and no stale runs (a lost run is
 * covered by the next tick; a retried one would only overlap it). main: its async invokes are the source
 * jobs' hand-overs (ADR 0013), and a lost one strands the rest of a job, so Lambda retries it twice within
 * an hour (a duplicate is refused by the enqueue lease). Without these the local Lambda would use Lambda's
 * defaults (2 retries, 6 h event age). `function-specs.test.ts` compares them with main.tf.
 */
export const asyncInvokeOf = {
  main: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3_600 },
  consumer: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
} as const;

/** The three functions as the local Lambda service runs them, configured from the settings file. */
export function functionSpecs(
  settings: Settings,
  resources: FanoutResources,
  codeDirOf: (fn: FunctionName) => string,
): FunctionSpec[] {
  const names = resourceNames(settings);
  return (["main", "consumer", "worker"] as const).map((fn) => {
    const f = settings.functions[fn];
    return {
      name: names[`${fn}Function`],
      codeDir: codeDirOf(fn),
      handler: "index.handler",
      memoryMb: f.memory_mb,
      timeoutSeconds: f.timeout_seconds,
      reservedConcurrency: f.reserved_concurrency,
      environment: functionEnvironment(fn, settings, resources),
      async:
        fn === "worker"
          ? {
              maximumRetryAttempts: settings.worker_async.maximum_retry_attempts,
              maximumEventAgeSeconds: settings.worker_async.maximum_event_age_seconds,
              onFailureQueueUrl: resources.failedQueueUrl,
            }
          : fn === "main"
            ? { ...asyncInvokeOf.main, onFailureQueueUrl: resources.failedQueueUrl }
            : { ...asyncInvokeOf[fn] },
    };
  });
}
