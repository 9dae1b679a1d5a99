import { resolve } from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { countRequests } from "@fanout/core";
import { createStore, type DedupStore } from "@fanout/job-state";
import { loadSettings, type ResourceNames, resourceNames, type Settings } from "@fanout/tooling";
import { CliError, describeError } from "./errors.ts";
import type { GlobalFlags } from "./flags.ts";

/** The repository root (this file is packages/cli/src/context.ts). */
export const repoRoot = resolve(import.meta.dirname, "../../..");
export const defaultSettingsPath = resolve(repoRoot, "terraform/environments/dev.tfvars.json");

/** What every command works with: the deployment's settings and names, and AWS clients for it. */
export interface CliContext {
  settings: Settings;
  names: ResourceNames;
  sqs: SQSClient;
  lambda: LambdaClient;
  /** `fanout submit` of a tasks source (the upload); optional, so contexts built elsewhere need none. */
  s3?: S3Client;
  /** `fanout metrics` on AWS (GetMetricData); optional, so contexts built elsewhere (the fault explorer) need none. */
  cloudwatch?: CloudWatchClient;
  store: DedupStore;
  /** A queue's URL by its name (GetQueueUrl, cached). */
  queueUrl(name: string): Promise<string>;
  close(): void;
}

/**
 * Reads the settings file and creates the clients. Endpoints, credentials and (unless given) the region
 * come from the SDK's own standard settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*, shared config);
 * when no region is configured anywhere, the settings file's `aws_region` is used.
 */
export async function createContext(flags: GlobalFlags): Promise<CliContext> {
  const settingsPath = resolve(flags.settings ?? defaultSettingsPath);
  let settings: Settings;
  try {
    settings = loadSettings(settingsPath);
  } catch (error) {
    throw new CliError(`cannot use settings: ${describeError(error)}`, { cause: error });
  }
  if (flags.prefix) settings = { ...settings, name_prefix: flags.prefix };
  const names = resourceNames(settings);
  const region = flags.region ?? (await sdkRegion(flags.profile)) ?? settings.aws_region;
  const common = {
    region,
    ...(flags.profile ? { profile: flags.profile } : {}),
    maxAttempts: 3,
  };
  // Counted (core's requestCounts): the operator-policy test compares the calls with the policy's grants.
  const sqs = countRequests(
    new SQSClient({
      ...common,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    }),
    "SQS",
  );
  // A synchronous invoke lasts as long as the function runs (up to 15 minutes): no request timeout below that.
  const lambda = countRequests(
    new LambdaClient({
      ...common,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 905_000, throwOnRequestTimeout: true },
    }),
    "Lambda",
  );
  const dynamo = countRequests(
    new DynamoDBClient({
      ...common,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    }),
    "DynamoDB",
  );
  const cloudwatch = countRequests(
    new CloudWatchClient({
      ...common,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    }),
    "CloudWatch",
  );
  // An upload's part may take a while on a slow link; path-style on a local endpoint (no bucket host names).
  const s3 = countRequests(
    new S3Client({
      ...common,
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 300_000, throwOnRequestTimeout: true },
    }),
    "S3",
  );
  const store = createStore({
    tableName: names.table,
    ttlSeconds: settings.dedup.ttl_seconds,
    client: dynamo,
  });
  const urls = new Map<string, Promise<string>>();
  return {
    settings,
    names,
    sqs,
    lambda,
    s3,
    cloudwatch,
    store,
    queueUrl(name) {
      let url = urls.get(name);
      if (!url) {
        url = getQueueUrl(sqs, name);
        urls.set(name, url);
      }
      return url;
    },
    close() {
      sqs.destroy();
      lambda.destroy();
      s3.destroy();
      cloudwatch.destroy();
      dynamo.destroy();
    },
  };
}

async function getQueueUrl(sqs: SQSClient, name: string): Promise<string> {
  try {
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!out.QueueUrl) throw new CliError(`queue ${name}: GetQueueUrl returned no URL`);
    return out.QueueUrl;
  } catch (error) {
    const e = error as { name?: string };
    if (e.name === "QueueDoesNotExist" || e.name === "AWS.SimpleQueueService.NonExistentQueue") {
      throw new CliError(
        `queue ${name} does not exist (check --prefix, --settings, the region and AWS_ENDPOINT_URL_SQS)`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The region the SDK would pick by itself (AWS_REGION, the profile's region), or undefined if none. */
async function sdkRegion(profile: string | undefined): Promise<string | undefined> {
  const probe = new SQSClient(profile ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}

/** Full function name for `main`, `consumer`, `worker`; anything else (a name or an ARN) as given. */
export function functionNameOf(names: ResourceNames, fn: string): string {
  if (fn === "main") return names.mainFunction;
  if (fn === "consumer") return names.consumerFunction;
  if (fn === "worker") return names.workerFunction;
  return fn;
}
