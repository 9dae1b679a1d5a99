import { EventEmitter } from "node:events";
import { resolve } from "node:path";
import { functionArn } from "./arn.ts";
import { AsyncEventQueue } from "./async-queue.ts";
import { DestinationSender } from "./destinations.ts";
import { InvalidFunctionSpecError, ResourceNotFoundError, UnknownFunctionError } from "./errors.ts";
import { validateFaults } from "./faults.ts";
import { FunctionRuntime, type ServiceContext } from "./function.ts";
import { type AccountApi, close, createLambdaServer, listen } from "./http-server.ts";
import { createInvokeHandler } from "./invoke-api.ts";
import { LogRouter } from "./logs.ts";
import { checkEnvironment, validateSpec } from "./spec.ts";
import { type StreamMapping, type StreamMappingSpec, startStreamMapping } from "./stream-mapping.ts";
import type { Faults, FunctionSpec, FunctionStats, LocalLambdaOptions } from "./types.ts";

/** A running local Lambda service. */
export interface LocalLambda {
  /** e.g. `http://127.0.0.1:3001`: the endpoint for `@aws-sdk/client-lambda` or `aws --endpoint-url`. */
  readonly url: string;
  readonly port: number;
  /**
   * Events, each with a plain object payload naming the `function` (and `requestId` where there is one):
   * `invocationStart`, `invocationEnd` (with `result`), `throttled`, `asyncEnqueued`, `asyncRetry`,
   * `asyncThrottled`, `asyncDiscarded` (with `condition`), `destinationDelivered`, and `log` (a `LogRecord`).
   */
  readonly events: EventEmitter;
  /** Changes a function's configuration; instances started under the old code or settings are replaced. */
  configure(name: string, spec: Partial<Omit<FunctionSpec, "name">>): void;
  /** Replaces the function's injected faults (`{}` clears them). */
  setFaults(name: string, faults: Faults): void;
  /** Counters per function name. */
  stats(): Record<string, FunctionStats>;
  /** Process ids of a function's live instances. */
  pids(name: string): number[];
  /**
   * Maps a DynamoDB stream to a function (an event source mapping): `push` each change of the table to the
   * returned mapping. Stopped with the service.
   */
  mapStream(spec: StreamMappingSpec): StreamMapping;
  /**
   * Resolves once every async queue and stream mapping is empty: nothing queued, pending, waiting for a retry,
   * running or being delivered.
   */
  idle(): Promise<void>;
  /** Kills every instance, drops queued events, closes the server and the log files. */
  stop(): Promise<void>;
}

/**
 * Starts the local Lambda service.
 *
 * @example
 * const lambda = await startLocalLambda({
 *   port: 0,
 *   functions: [{ name: "worker", codeDir: "functions/worker/dist", handler: "index.handler", memoryMb: 256, timeoutSeconds: 30 }],
 * });
 * const client = new LambdaClient({ endpoint: lambda.url, region: "us-east-1" });
 * await lambda.stop();
 */
export async function startLocalLambda(options: LocalLambdaOptions): Promise<LocalLambda> {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new InvalidFunctionSpecError(`speed must be > 0, got ${speed}`);
  const maxConcurrency = options.maxConcurrency ?? 10;
  if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
    throw new InvalidFunctionSpecError(`maxConcurrency must be an integer >= 1, got ${maxConcurrency}`);
  }
  checkEnvironment("Service", options.environment);
  const region = options.region ?? "us-east-1";
  const credentials = options.credentials ?? {
    accessKeyId: "test",
    secretAccessKey: "test",
    sessionToken: "test",
  };
  const events = new EventEmitter();
  const logs = new LogRouter({
    logDir: options.logDir === null ? null : resolve(options.logDir ?? ".fanout/logs"),
    output: options.output === undefined ? process.stdout : options.output,
  });
  logs.onRecord((record) => events.emit("log", record));
  const destinations = new DestinationSender({ region, endpoint: options.sqsEndpoint, credentials });
  const context: ServiceContext = {
    region,
    accountId: options.accountId ?? "000000000000",
    maxConcurrency,
    initLimitMs: options.initLimitMs ?? 10_000,
    environment: { ...options.environment },
    credentials,
    logs,
    random: options.random ?? Math.random,
    emit: (event, data) => events.emit(event, data),
  };

  const functions = new Map<string, { fn: FunctionRuntime; queue: AsyncEventQueue }>();
  let idleWaiters: Array<() => void> = [];
  const mappings: StreamMapping[] = [];
  const allSettled = () =>
    [...functions.values()].every(({ queue }) => queue.settled) && mappings.every((m) => m.settled);
  const onSettled = () => {
    if (!allSettled()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };
  for (const raw of options.functions) {
    const spec = validateSpec(raw);
    if (functions.has(spec.name))
      throw new InvalidFunctionSpecError(`Function "${spec.name}" is listed twice`);
    const fn = new FunctionRuntime(spec, context);
    const queue = new AsyncEventQueue(fn, {
      speed,
      now: options.now ?? Date.now,
      destinations,
      log: (requestId, text) => logs.write(spec.name, requestId, text),
      emit: context.emit,
      onSettled,
    });
    functions.set(spec.name, { fn, queue });
  }

  const accountLimit = options.accountConcurrencyLimit ?? 1_000;
  const account: AccountApi = {
    accountSettings: () => {
      const reserved = [...functions.values()].reduce(
        (n, { fn }) => n + (fn.spec.reservedConcurrency ?? 0),
        0,
      );
      return {
        AccountLimit: {
          ConcurrentExecutions: accountLimit,
          UnreservedConcurrentExecutions: accountLimit - reserved,
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
          TotalCodeSize: 80_530_636_800,
        },
        AccountUsage: { FunctionCount: functions.size, TotalCodeSize: 0 },
      };
    },
    functionConcurrency: (name) => {
      const entry = functions.get(name);
      if (!entry) throw new ResourceNotFoundError(functionArn(region, context.accountId, name));
      const reserved = entry.fn.spec.reservedConcurrency;
      return reserved === undefined || reserved === null ? {} : { ReservedConcurrentExecutions: reserved };
    },
  };
  const server = createLambdaServer(
    createInvokeHandler({ region, accountId: context.accountId, lookup: (name) => functions.get(name) }),
    { latencyMs: options.latencyMs ?? 0, account },
  );
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, host, options.port ?? 3001);
  const get = (name: string) => {
    const entry = functions.get(name);
    if (entry === undefined) throw new UnknownFunctionError(name);
    return entry;
  };
  let stopping: Promise<void> | undefined;

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    events,
    configure(name, partial) {
      const { fn } = get(name);
      fn.update(
        validateSpec({
          ...fn.spec,
          ...partial,
          name,
          async: { ...fn.spec.async, ...partial.async },
        } as FunctionSpec),
      );
    },
    setFaults(name, faults) {
      get(name).fn.faults = validateFaults(faults);
    },
    stats() {
      const out: Record<string, FunctionStats> = {};
      for (const [name, { fn, queue }] of functions) {
        const { live, busy, coldStarts, ...invocations } = fn.stats();
        out[name] = { invocations, async: queue.stats(), instances: { live, busy, coldStarts } };
      }
      return out;
    },
    pids: (name) => get(name).fn.pids(),
    mapStream(spec) {
      const { fn } = get(spec.functionName);
      const mapping = startStreamMapping(spec, {
        fn,
        region,
        functionArn: functionArn(region, context.accountId, spec.functionName),
        speed,
        sendFailure: (queueUrl, record) => destinations.send(queueUrl, record),
        emit: context.emit,
        onSettled,
      });
      mappings.push(mapping);
      return mapping;
    },
    idle() {
      if (allSettled()) return Promise.resolve();
      return new Promise((resolveIdle) => idleWaiters.push(resolveIdle));
    },
    stop() {
      stopping ??= (async () => {
        for (const { queue } of functions.values()) queue.stop();
        for (const mapping of mappings) mapping.stop();
        const serverClosed = close(server);
        await Promise.all([...functions.values()].map(({ fn }) => fn.stop()));
        await serverClosed;
        destinations.close();
        await logs.close();
        for (const wake of idleWaiters.splice(0)) wake();
      })();
      return stopping;
    },
  };
}
