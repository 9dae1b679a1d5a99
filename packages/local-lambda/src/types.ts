/** Asynchronous invocation settings, as `PutFunctionEventInvokeConfig` takes them. */
export interface AsyncConfig {
  /** Retries after a function error, 0 to 2 (AWS default 2). */
  maximumRetryAttempts: number;
  /** How long an event may stay queued, 60 to 21,600 s (AWS default 21,600); real time, not scaled by `speed`. */
  maximumEventAgeSeconds: number;
  /** SQS queue URL that receives the invocation record when an event is discarded. */
  onFailureQueueUrl?: string | undefined;
}

/** One function: where its built bundle is and how Lambda would run it. */
export interface FunctionSpec {
  name: string;
  /** Directory holding the bundle (e.g. `index.mjs`), as unzipped into `/var/task` on AWS. */
  codeDir: string;
  /** `<module>.<export>`, e.g. `index.handler`. */
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency; `null`/absent means the service-wide `maxConcurrency` cap. 0 throttles every call. */
  reservedConcurrency?: number | null | undefined;
  environment?: Record<string, string> | undefined;
  async?: AsyncConfig | undefined;
}

/** Faults injected into a function's invocations, for tests and demos. Rates are probabilities 0..1. */
export interface Faults {
  /** The invocation fails as if the handler had thrown. */
  errorRate?: number;
  /** The invocation is throttled: 429 for a synchronous call, a throttle retry for an event. */
  throttleRate?: number;
  /** Milliseconds of delay before the handler runs (not counted against the timeout). */
  latencyMs?: number;
  /** Every invocation runs into the function's timeout. */
  forceTimeout?: boolean;
}

/** Something lines can be written to: a stream such as `process.stdout`, or a test's collector. */
export interface OutputSink {
  write(chunk: string): unknown;
}

/** Static credentials handed to functions as `AWS_ACCESS_KEY_ID` & co. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface LocalLambdaOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3001; 0 picks a free port. */
  port?: number;
  functions: FunctionSpec[];
  /** Where `<function>.log` JSON-lines files go; default `.fanout/logs` under the cwd; `null` writes none. */
  logDir?: string | null;
  /** Factor applied to the async queue's waits: retry delays (1 and 2 min) and throttle back-off. Default 1. */
  speed?: number;
  /** SQS endpoint for on-failure destinations; default: the queue URL's own origin. */
  sqsEndpoint?: string;
  /** Default us-east-1. */
  region?: string;
  /** Account id used in ARNs. Default 000000000000. */
  accountId?: string;
  /** Where function logs are printed; default `process.stdout`; `null` prints nothing. */
  output?: OutputSink | null;
  /** Concurrency cap per function without reserved concurrency. Default 10. */
  maxConcurrency?: number;
  /**
   * The account's concurrent-executions limit that GetAccountSettings reports (its unreserved part is this
   * minus the functions' reserved concurrency). Default 1,000, a common limit; a new account may have 10.
   */
  accountConcurrencyLimit?: number;
  /**
   * Lambda's on-demand init limit, in ms. Default 10,000, as on AWS. An init that takes longer is not an
   * error: it counts against the invocation's timeout (AWS re-runs it inside the first invoke). A test seam.
   */
  initLimitMs?: number;
  /** Environment variables given to every function (below each function's own). */
  environment?: Record<string, string>;
  /** Credentials given to functions and used for destinations. Default: dummy `test` keys. */
  credentials?: Credentials;
  /** Random source for fault injection; default `Math.random`. */
  random?: () => number;
  /** Fixed delay added to every API request before it is handled (a network round trip). Default 0. */
  latencyMs?: number;
  /** Clock for event ages (ms since the epoch); default `Date.now`. A test seam for `maximumEventAgeSeconds`. */
  now?: () => number;
}

/** What an invocation produced, as the Invoke API reports it. */
export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace?: string[] | undefined;
}

export type InvocationResult =
  | { kind: "success"; payload: string }
  | { kind: "error"; error: FunctionErrorBody; status?: "timeout" | "error" | undefined };

export interface FunctionStats {
  invocations: { started: number; succeeded: number; failed: number; throttled: number };
  async: {
    enqueued: number;
    /** Events waiting to run (ready or waiting for a retry), plus those running. */
    depth: number;
    running: number;
    retried: number;
    succeeded: number;
    discarded: number;
    deliveredToDestination: number;
    destinationDeliveryFailures: number;
  };
  instances: { live: number; busy: number; coldStarts: number };
}
