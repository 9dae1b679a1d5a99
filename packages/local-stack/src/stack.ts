import { join } from "node:path";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { taskStreamMapping } from "@fanout/dedup";
import {
  awsEnv,
  type ChangeSink,
  type FanoutResources,
  localCredentials,
  startLocalResources,
} from "@fanout/emulators";
import { invokeAsync } from "@fanout/invoker";
import { type LocalLambda, type OutputSink, startLocalLambda } from "@fanout/local-lambda";
import { loadSettings, type ResourceNames, resourceNames, type Settings } from "@fanout/tooling";
import { functionEnvironment, functionSpecs, serviceEnvironment } from "./function-specs.ts";
import { defaultSettingsPath, type FunctionName, stateDir, zipPathOf } from "./paths.ts";
import { pickPort } from "./ports.ts";
import { type Scheduler, schedulePeriodMs, startScheduler } from "./schedule.ts";
import { unpackZip } from "./unzip.ts";

export interface StackOptions {
  /** Settings object, or read from `settingsPath` (default: terraform/environments/dev.tfvars.json). */
  settings?: Settings;
  settingsPath?: string;
  /** Ports; defaults 9324, 8000, 3001. With `strictPorts: false`, a taken port is replaced by a free one. */
  sqsPort?: number;
  dynamoPort?: number;
  lambdaPort?: number;
  strictPorts?: boolean;
  /** Keep DynamoDB data here across restarts (SQS is always in memory). */
  dataDir?: string;
  /** Speeds up Lambda's async retry delays and the schedule (1 = real time). */
  speed?: number;
  /** Fire the consumer on the settings' schedule (default true). */
  schedule?: boolean;
  /** Where function log lines are printed (default stdout; null = nowhere). */
  output?: OutputSink | null;
  /** Function log files (default .fanout/logs; null = none). */
  logDir?: string | null;
  /** Concurrency cap for functions without reserved concurrency. */
  maxConcurrency?: number;
  /** The account limit the local Lambda's GetAccountSettings reports (default 1,000): `fanout doctor` reads it. */
  accountConcurrencyLimit?: number;
  /** Extra environment for the worker (e.g. WORKER_FAIL_RATE for demos). */
  workerEnvironment?: Record<string, string>;
  /** Fixed delay added to every request reaching SQS, DynamoDB and Lambda (a network round trip); default 0. */
  latencyMs?: number;
  /** Zips to run instead of the built ones (`functions/<fn>/dist/<fn>.zip`), e.g. a release's for an upgrade test. */
  code?: Partial<Record<FunctionName, string>>;
}

export interface Stack {
  settings: Settings;
  names: ResourceNames;
  resources: FanoutResources;
  /** `sns` and `s3` are the SQS emulator's endpoint: fauxqs serves all three. */
  endpoints: { sqs: string; sns: string; s3: string; dynamo: string; lambda: string };
  lambda: LocalLambda;
  /** Environment that points the AWS SDK and CLI at this stack. */
  env: Record<string, string>;
  /** Replaces the worker's extra environment (e.g. `{ WORKER_FAIL_RATE: "1" }`); instances restart. */
  setWorkerEnvironment(extra: Record<string, string>): void;
  /**
   * Deploys another zip to a function, as UpdateFunctionCode does: invocations already running finish on the
   * old code, every later one starts an instance of the new.
   */
  deployCode(fn: FunctionName, zipPath: string): void;
  /** Stops firing the consumer on the schedule (idempotent); `lambda.idle()` can then settle. */
  stopSchedule(): void;
  /** Freezes both emulators for `ms`: requests arriving meanwhile wait (chaos runs). */
  pauseEmulators(ms: number): void;
  stop(): Promise<void>;
}

/**
 * Starts the whole system on this machine: SQS (and SNS) and DynamoDB emulators with the resources created
 * from the settings file, the local Lambda service running the three built zips, and the consumer's schedule.
 *
 * @example
 * const stack = await startStack({ lambdaPort: 0, sqsPort: 0, dynamoPort: 0 });
 * // ... aws lambda invoke --endpoint-url stack.endpoints.lambda --function-name fanout-main ...
 * await stack.stop();
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const settings = options.settings ?? loadSettings(options.settingsPath ?? defaultSettingsPath);
  const names = resourceNames(settings);
  const strict = options.strictPorts ?? false;
  // Strict ports are used as given, except 0, which is resolved here so every URL names the real port.
  const port = async (wanted: number | undefined, fallback: number) =>
    strict && wanted !== 0 ? (wanted ?? fallback) : pickPort(wanted ?? fallback);
  const [sqsPort, dynamoPort, lambdaPort] = await Promise.all([
    port(options.sqsPort, 9324),
    port(options.dynamoPort, 8000),
    port(options.lambdaPort, 3001),
  ]);
  let deployments = 0;
  /** Unpacks a zip into a directory of its own (a deployment's code is never unpacked over a running one's). */
  const codeDirOf = (fn: FunctionName, zipPath = options.code?.[fn] ?? zipPathOf(fn)) => {
    const dir = join(stateDir, "functions", `${names[`${fn}Function`]}-${lambdaPort}-${deployments++}`);
    unpackZip(zipPath, dir);
    return dir;
  };
  // The table's stream: every committed change of an item, handed to the consumer's event source mapping.
  let stream: ChangeSink | undefined;
  const local = await startLocalResources({
    settings,
    sqsPort,
    dynamoPort,
    onChange: (change) => stream?.(change),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    latencyMs: options.latencyMs ?? 0,
  });
  let lambda: LocalLambda | undefined;
  let scheduler: Scheduler | undefined;
  try {
    const lambdaUrl = `http://127.0.0.1:${lambdaPort}`;
    // fauxqs serves S3 (the input bucket) on the SQS port, as it does SNS.
    const s3Endpoint = local.snsEndpoint;
    const env = awsEnv({
      sqsEndpoint: local.sqsEndpoint,
      snsEndpoint: local.snsEndpoint,
      dynamoEndpoint: local.dynamoEndpoint,
      lambdaEndpoint: lambdaUrl,
      region: settings.aws_region,
    });
    const specs = functionSpecs(settings, local.resources, codeDirOf);
    const worker = specs.find((s) => s.name === names.workerFunction);
    if (worker && options.workerEnvironment)
      worker.environment = { ...worker.environment, ...options.workerEnvironment };
    lambda = await startLocalLambda({
      port: lambdaPort,
      functions: specs,
      region: settings.aws_region,
      credentials: localCredentials,
      sqsEndpoint: local.sqsEndpoint,
      // The service multiplies its retry delays by this factor; ours means "this many times faster".
      speed: 1 / (options.speed ?? 1),
      maxConcurrency: options.maxConcurrency ?? 16,
      ...(options.accountConcurrencyLimit === undefined
        ? {}
        : { accountConcurrencyLimit: options.accountConcurrencyLimit }),
      latencyMs: options.latencyMs ?? 0,
      logDir: options.logDir === undefined ? join(stateDir, "logs") : options.logDir,
      ...(options.output === undefined ? {} : { output: options.output }),
      // Endpoints only: region, credentials and the function's name are Lambda's own variables, set by the service.
      environment: serviceEnvironment({
        sqs: local.sqsEndpoint,
        sns: local.snsEndpoint,
        s3: s3Endpoint,
        dynamo: local.dynamoEndpoint,
        lambda: lambdaUrl,
      }),
    });
    // As Terraform maps the table's stream to the consumer (dedup's taskStreamMapping): the task changes
    // that move a job's counts, batched, retried from the first failed record.
    const mapping = lambda.mapStream({
      functionName: names.consumerFunction,
      streamArn: `arn:aws:dynamodb:${settings.aws_region}:000000000000:table/${local.resources.tableName}/stream/local`,
      viewType: "NEW_IMAGE",
      filters: [taskStreamMapping.filter],
      batchSize: taskStreamMapping.batchSize,
      batchingWindowMs: (taskStreamMapping.batchingWindowSeconds * 1000) / (options.speed ?? 1),
      maximumRetryAttempts: taskStreamMapping.maximumRetryAttempts,
      reportBatchItemFailures: true,
    });
    stream = (change) => mapping.push(change);
    if (options.schedule ?? true) {
      const running = lambda;
      const client = new LambdaClient({
        endpoint: running.url,
        region: settings.aws_region,
        credentials: localCredentials,
      });
      // As EventBridge Scheduler does: an asynchronous invoke of the consumer at every tick, whether or not
      // earlier runs are still going or still queued. Overlapping runs are safe by design; events that wait
      // too long behind the consumer's concurrency expire after its 60 s event age, as on AWS.
      scheduler = startScheduler(
        schedulePeriodMs(settings.schedule_expression),
        async () => {
          await invokeAsync(client, names.consumerFunction, "{}").catch(() => undefined);
        },
        options.speed ?? 1,
      );
    }
    const started = lambda;
    return {
      settings,
      names,
      resources: local.resources,
      endpoints: {
        sqs: local.sqsEndpoint,
        sns: local.snsEndpoint,
        s3: s3Endpoint,
        dynamo: local.dynamoEndpoint,
        lambda: started.url,
      },
      lambda: started,
      env,
      setWorkerEnvironment(extra) {
        started.configure(names.workerFunction, {
          environment: { ...functionEnvironment("worker", settings, local.resources), ...extra },
        });
      },
      deployCode(fn, zipPath) {
        started.configure(names[`${fn}Function`], { codeDir: codeDirOf(fn, zipPath) });
      },
      stopSchedule() {
        scheduler?.stop();
      },
      pauseEmulators(ms) {
        local.sqs.pause(ms);
        local.dynamo.pause(ms);
      },
      async stop() {
        scheduler?.stop();
        await started.stop();
        await local.stop();
      },
    };
  } catch (error) {
    scheduler?.stop();
    await lambda?.stop();
    await local.stop();
    throw error;
  }
}
