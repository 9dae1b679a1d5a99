import { consumerConfigSchema, mainConfigSchema, workerConfigSchema } from "@fanout/core";
import { type Finding, finding } from "./findings.ts";
import { expressionText, type Stack } from "./hcl.ts";

/**
 * Environment variables every function gets besides its own configuration; Powertools reads the last
 * three itself (metrics namespace, tracer on/off), so no config schema in @fanout/core lists them.
 */
export const commonVariables = [
  "LOG_LEVEL",
  "POWERTOOLS_SERVICE_NAME",
  "POWERTOOLS_METRICS_NAMESPACE",
  "POWERTOOLS_TRACE_ENABLED",
];

/**
 * Variables Lambda sets itself in every function's environment (reserved: a function configuration that
 * sets one is refused). A config schema may read them; Terraform must not set them.
 */
export const lambdaSetVariables = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
];

const schemas = { main: mainConfigSchema, consumer: consumerConfigSchema, worker: workerConfigSchema };

/**
 * Where each variable's value must come from (settings or resources); see docs/contracts.md. `{fn}` is
 * the function's own name.
 */
export const valueSources: Record<string, RegExp> = {
  TASKS_QUEUE_URL: /^module\.queue\.tasks_queue_url$/,
  TABLE_NAME: /^module\.table\.table_name$/,
  WORKER_FUNCTION_NAME: /^(module\.worker\.function_name|local\.names\.worker)$/,
  CONSUMER_FUNCTION_NAME: /^local\.names\.consumer$/,
  DEDUP_TTL_SECONDS: /^tostring\(var\.dedup\.ttl_seconds\)$/,
  CLAIM_LEASE_SECONDS: /^tostring\(var\.dedup\.claim_lease_seconds\)$/,
  POLLERS: /^tostring\(var\.consumer\.pollers\)$/,
  DISPATCH_CONCURRENCY: /^tostring\(var\.consumer\.dispatch_concurrency\)$/,
  SAFETY_MARGIN_MS: /^tostring\(var\.consumer\.safety_margin_ms\)$/,
  RECEIVE_WAIT_SECONDS: /^tostring\(var\.consumer\.receive_wait_seconds\)$/,
  CONSUMER_MAX_PARALLEL: /^tostring\(var\.consumer\.max_parallel\)$/,
  SCALE_OUT_BACKLOG: /^tostring\(var\.consumer\.scale_out_backlog\)$/,
  INPUT_BUCKET: /^module\.input\.bucket_name$/,
  RUN_LEASE_SECONDS: /^tostring\(var\.functions\.worker\.timeout_seconds \+ 30\)$/,
  MAX_TASKS_PER_JOB: /^tostring\(var\.max_tasks_per_job\)$/,
  MAX_RETRY_ATTEMPTS: /^tostring\(var\.worker_async\.maximum_retry_attempts\)$/,
  MAX_EVENT_AGE_SECONDS: /^tostring\(var\.worker_async\.maximum_event_age_seconds\)$/,
  RESULT_MAX_BYTES: /^tostring\(var\.max_result_bytes\)$/,
  JOBS_TOPIC_ARN: /^module\.notifications\.topic_arn$/,
  LOG_LEVEL: /^var\.log_level$/,
  POWERTOOLS_SERVICE_NAME: /^local\.names\.\{fn\}$/,
  POWERTOOLS_METRICS_NAMESPACE: /^var\.metrics\.namespace$/,
  POWERTOOLS_TRACE_ENABLED: /^tostring\(var\.tracing\.enabled\)$/,
};

/** Optional variables and the boolean setting that turns each on. */
export const conditionalVariables: Record<string, string> = {
  CONSUMER_FUNCTION_NAME: "var.main_nudges_consumer",
};

interface EnvEntry {
  value: string;
  conditionalOn: string | undefined;
}

/** Reads `KEY = value` pairs from an environment attribute: an object literal or a merge(...) expression. */
export function environmentEntries(attribute: unknown): Map<string, EnvEntry> {
  const entries = new Map<string, EnvEntry>();
  if (attribute && typeof attribute === "object" && !Array.isArray(attribute)) {
    for (const [k, v] of Object.entries(attribute))
      entries.set(k, { value: expressionText(v), conditionalOn: undefined });
    return entries;
  }
  const text = expressionText(attribute);
  for (const m of text.matchAll(/\b([A-Z][A-Z0-9_]*)\s*=\s*([^,\n}]+?(?:\([^()\n]*\))?)\s*(?=,|\n|\}|$)/g)) {
    const cond = /(var\.[\w.]+)\s*\?\s*\{[^{}]*$/.exec(text.slice(0, m.index));
    entries.set(m[1] as string, { value: (m[2] as string).trim(), conditionalOn: cond?.[1] });
  }
  return entries;
}

/**
 * Each function gets exactly the environment variables its config schema in @fanout/core reads, plus
 * {@link commonVariables}, each from the setting or resource it stands for; an optional one
 * only under the setting that enables it. What Lambda sets itself ({@link lambdaSetVariables}) Terraform
 * never sets.
 */
export function checkEnvironment(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const [fn, schema] of Object.entries(schemas)) {
    const call = stack.root.moduleCalls.get(fn);
    const where = `root: module "${fn}"`;
    if (!call) {
      out.push(finding("env-vars", "root", `no module "${fn}"`));
      continue;
    }
    const env = environmentEntries(call.environment);
    const expected = [
      ...Object.keys(schema.shape).filter((key) => !lambdaSetVariables.includes(key)),
      ...commonVariables,
    ];
    for (const key of expected) {
      const entry = env.get(key);
      if (!entry) {
        out.push(finding("env-vars", where, `does not set ${key}`));
        continue;
      }
      const source = valueSources[key];
      const pattern = source && new RegExp(source.source.replace("\\{fn\\}", fn));
      if (pattern && !pattern.test(entry.value)) {
        out.push(finding("env-vars", where, `${key} = ${entry.value}; expected ${pattern.source}`));
      }
      const condition = conditionalVariables[key];
      if (condition && entry.conditionalOn !== condition) {
        out.push(finding("env-vars", where, `${key} must be set only when ${condition}`));
      }
    }
    for (const key of env.keys()) {
      if (lambdaSetVariables.includes(key))
        out.push(finding("env-vars", where, `sets ${key}, which Lambda reserves and sets itself`));
      else if (!expected.includes(key))
        out.push(finding("env-vars", where, `sets ${key}, which ${fn} does not read`));
    }
  }
  return out;
}
