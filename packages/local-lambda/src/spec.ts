import { existsSync, statSync } from "node:fs";
import { InvalidFunctionSpecError } from "./errors.ts";
import type { AsyncConfig, FunctionSpec } from "./types.ts";

/** Variables Lambda sets itself and refuses in a function's configuration. */
export const reservedEnvironmentKeys: ReadonlySet<string> = new Set([
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
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);

/** Lambda's defaults for asynchronous invocation. */
export const defaultAsyncConfig: AsyncConfig = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 };

function check(condition: boolean, name: string, message: string): void {
  if (!condition) throw new InvalidFunctionSpecError(`Function "${name}": ${message}`);
}

function isIntIn(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

export function checkEnvironment(owner: string, environment: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(environment ?? {})) {
    check(!reservedEnvironmentKeys.has(key), owner, `environment variable ${key} is reserved by Lambda`);
    check(/^[a-zA-Z]\w*$/.test(key), owner, `environment variable name "${key}" is not valid`);
    check(typeof value === "string", owner, `environment variable ${key} must be a string`);
  }
}

/** Checks a spec against the ranges Lambda accepts and fills in the async defaults. */
export function validateSpec(spec: FunctionSpec): FunctionSpec {
  const { name } = spec;
  check(typeof name === "string" && /^[a-zA-Z0-9_-]{1,64}$/.test(name), String(name), "invalid name");
  check(
    typeof spec.handler === "string" && spec.handler.includes("."),
    name,
    "handler must be <module>.<export>",
  );
  check(
    typeof spec.codeDir === "string" && existsSync(spec.codeDir) && statSync(spec.codeDir).isDirectory(),
    name,
    `codeDir ${spec.codeDir} is not a directory`,
  );
  check(isIntIn(spec.memoryMb, 128, 10_240), name, "memoryMb must be an integer from 128 to 10240");
  check(isIntIn(spec.timeoutSeconds, 1, 900), name, "timeoutSeconds must be an integer from 1 to 900");
  const reserved = spec.reservedConcurrency;
  check(
    reserved === undefined || reserved === null || isIntIn(reserved, 0, 1_000_000),
    name,
    "reservedConcurrency must be null or an integer >= 0",
  );
  checkEnvironment(`Function "${name}"`, spec.environment);
  const asyncConfig = { ...defaultAsyncConfig, ...spec.async };
  check(isIntIn(asyncConfig.maximumRetryAttempts, 0, 2), name, "maximumRetryAttempts must be 0, 1 or 2");
  check(
    isIntIn(asyncConfig.maximumEventAgeSeconds, 60, 21_600),
    name,
    "maximumEventAgeSeconds must be an integer from 60 to 21600",
  );
  check(
    asyncConfig.onFailureQueueUrl === undefined || /^https?:\/\//.test(asyncConfig.onFailureQueueUrl),
    name,
    "onFailureQueueUrl must be an SQS queue URL",
  );
  return { ...spec, environment: { ...spec.environment }, async: asyncConfig };
}
