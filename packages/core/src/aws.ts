import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type {
  HttpHandlerOptions,
  HttpRequest,
  HttpResponse,
  MiddlewareStack,
  RequestHandler,
} from "@smithy/types";

export interface ClientOptions {
  /** Keep-alive sockets per client. @default 128 */
  maxSockets?: number;
  /** Attempts per request, the first included, by the SDK's standard retry strategy. @default 3 */
  maxAttempts?: number;
  /** A request with no answer after this long fails (and is retried) instead of hanging. @default 30000 */
  requestTimeoutMs?: number;
  /**
   * Sends the HTTP requests instead of the SDK's Node handler; the fault explorer passes its simulated AWS
   * here, so everything above the wire (serialisation, retries, the code under test) runs as it ships.
   */
  requestHandler?: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
  /**
   * Sends requests unsigned. Only for a simulated AWS that never checks signatures (the fault explorer):
   * leaving SigV4 out took 22 % off the explorer's time, and nothing there verifies it.
   */
  unsigned?: boolean;
}

/**
 * Options shared by every AWS client: keep-alive sockets sized for the dispatch concurrency (the
 * default pool of 50 would queue requests), and the SDK's standard retry strategy. Endpoints and
 * region come from the SDK's own settings (AWS_REGION, AWS_ENDPOINT_URL_SQS, ...), so the same code
 * runs against AWS, LocalStack or the local stack.
 */
export function clientOptions(options: ClientOptions = {}) {
  const maxSockets = options.maxSockets ?? 128;
  return {
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.unsigned ? { signer: unsignedSigner } : {}),
    requestHandler: options.requestHandler ?? {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      // Without this, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes and the
      // request hangs on until the Lambda's own timeout.
      throwOnRequestTimeout: true,
    },
  };
}

const unsignedSigner = { sign: async (request: HttpRequest) => request };

/** Counts of AWS requests by `Service.Operation`, e.g. `{"SQS.SendMessageBatch": 100}`. */
export type RequestCounts = Record<string, number>;

/** Requests made by this process since it started (or since {@link resetRequestCounts}). */
const counts: RequestCounts = {};

export function requestCounts(): RequestCounts {
  return { ...counts };
}

/** Starts a new count of requests and of DynamoDB capacity (one invocation's usage). */
export function resetRequestCounts(): void {
  for (const key of Object.keys(counts)) delete counts[key];
  for (const key of Object.keys(capacity)) delete capacity[key];
}

/**
 * DynamoDB capacity units this process consumed, by item kind and use: `<kind>.write`, `<kind>.read` (as the
 * service reported them), `<kind>.index` (global secondary index units, where the service reports them),
 * `<kind>.index.model` (the same computed by {@link countCapacity}'s model where it does not: the local
 * emulator), `<kind>.refused` (conditional writes refused, one unit each: AWS bills each by the size of the
 * item it was refused on, at least one unit, and returns no figure, so this is a lower bound). E.g. `{"task.write": 4, "shard.write": 2, "job.read": 0.5}`.
 */
export type CapacityCounts = Record<string, number>;

const capacity: CapacityCounts = {};

export function capacityCounts(): CapacityCounts {
  return { ...capacity };
}

/** What one invocation used, for its log line: requests by operation and DynamoDB capacity by item kind. */
export function usage(): { requests: RequestCounts; capacity: CapacityCounts } {
  return { requests: requestCounts(), capacity: capacityCounts() };
}

/**
 * What was used since `before` (a {@link usage} taken earlier): for a run that cannot reset the counts, such as
 * the consumer's (its own calls before and after the drain count too).
 */
export function usageSince(before: ReturnType<typeof usage>): ReturnType<typeof usage> {
  const now = usage();
  const since = (was: Record<string, number>, is: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [key, n] of Object.entries(is)) {
      const delta = n - (was[key] ?? 0);
      if (delta > 0) out[key] = delta;
    }
    return out;
  };
  return { requests: since(before.requests, now.requests), capacity: since(before.capacity, now.capacity) };
}

const capacityReads = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);
const capacityWrites = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

type KeyOf = Record<string, { S?: string } | undefined>;
interface CapacityInput {
  ReturnConsumedCapacity?: string;
  Key?: KeyOf;
  Item?: KeyOf;
  IndexName?: string;
  UpdateExpression?: string;
  RequestItems?: Record<
    string,
    { Keys?: KeyOf[] } | { PutRequest?: { Item?: KeyOf }; DeleteRequest?: { Key?: KeyOf } }[]
  >;
  TransactItems?: Record<string, { Key?: KeyOf; Item?: KeyOf; UpdateExpression?: string } | undefined>[];
}
interface Consumed {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/** The partition keys a request names, in order (one for an item operation, many for a batch). */
function keysOf(input: CapacityInput, partitionKey: string): string[] {
  const one = (k: KeyOf | undefined) => k?.[partitionKey]?.S;
  const keys: (string | undefined)[] = [one(input.Key), one(input.Item)];
  for (const request of Object.values(input.RequestItems ?? {})) {
    if (Array.isArray(request))
      for (const r of request) keys.push(one(r.PutRequest?.Item), one(r.DeleteRequest?.Key));
    else for (const k of request.Keys ?? []) keys.push(one(k));
  }
  for (const t of input.TransactItems ?? [])
    for (const op of Object.values(t)) keys.push(one(op?.Key), one(op?.Item));
  return keys.filter((k): k is string => k !== undefined);
}

/**
 * Adds a middleware that asks DynamoDB for the capacity each request consumed (`ReturnConsumedCapacity:
 * INDEXES`, free of charge) and adds it up by item kind ({@link capacityCounts}), so cost figures are measured,
 * not assumed. `kindOf` names an item's kind from its partition key (the layout is the caller's). A Query
 * counts under `index:<name>` or its key's kind; a batch under the kind of its keys, or `mixed`.
 * Where the service reports no index units (the local emulator) and `indexesOf` is given, the index writes
 * AWS would bill are modelled: an item of a kind that is projected into an index costs the same units there
 * again, once per index it is in (`indexesOf(kind, updateExpression)`).
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's stacks differ per client; only `add` is used.
export function countCapacity<T extends { middlewareStack: MiddlewareStack<any, any> }>(
  client: T,
  options: {
    partitionKey: string;
    kindOf: (pk: string) => string;
    indexesOf?: (kind: string, updateExpression: string | undefined) => number;
  },
): T {
  const add = (key: string, n: number) => {
    if (n > 0) capacity[key] = (capacity[key] ?? 0) + n;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? "").replace(/Command$/, "");
      const isRead = capacityReads.has(operation);
      if (!isRead && !capacityWrites.has(operation)) return next(args);
      const input = args.input as CapacityInput;
      input.ReturnConsumedCapacity ??= "INDEXES";
      const kinds = [...new Set(keysOf(input, options.partitionKey).map(options.kindOf))];
      const kind = input.IndexName
        ? `index:${input.IndexName}`
        : kinds.length === 1
          ? (kinds[0] ?? "unknown")
          : kinds.length === 0
            ? "unknown"
            : "mixed";
      let out: Awaited<ReturnType<typeof next>>;
      try {
        out = await next(args);
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === "ConditionalCheckFailedException" || name === "TransactionCanceledException")
          add(`${kind}.refused`, 1);
        throw error;
      }
      const reported = (out.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const list = Array.isArray(reported) ? reported : reported ? [reported] : [];
      const units = list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      const indexUnits = list.reduce(
        (n, c) =>
          n + Object.values(c.GlobalSecondaryIndexes ?? {}).reduce((m, i) => m + (i.CapacityUnits ?? 0), 0),
        0,
      );
      const indexReported = list.some((c) => c.GlobalSecondaryIndexes !== undefined);
      // Index units are part of CapacityUnits when the service reports them. A read through an index (a Query
      // of jobs-by-created) is a read all the same; a write's index units are the index entries it changed.
      if (isRead) add(`${kind}.read`, units);
      else {
        add(`${kind}.write`, units - indexUnits);
        add(`${kind}.index`, indexUnits);
      }
      if (!isRead && !indexReported && options.indexesOf)
        add(`${kind}.index.model`, (units - indexUnits) * options.indexesOf(kind, input.UpdateExpression));
      return out;
    },
    { step: "initialize", name: "fanoutCapacityCounter", override: true },
  );
  return client;
}

/**
 * Adds a middleware that counts every request a client sends, retries included (it runs per attempt,
 * in the finalize step), so reported figures are measured, not estimated.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's stacks differ per client; only `add` is used.
export function countRequests<T extends { middlewareStack: MiddlewareStack<any, any> }>(
  client: T,
  service: string,
): T {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = `${service}.${String(context.commandName ?? "unknown").replace(/Command$/, "")}`;
      counts[key] = (counts[key] ?? 0) + 1;
      return next(args);
    },
    { step: "finalizeRequest", name: "fanoutRequestCounter", override: true },
  );
  return client;
}
