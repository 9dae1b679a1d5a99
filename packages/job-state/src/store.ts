import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type ClientOptions, clientOptions, countCapacity, countRequests, partitionKey } from "@fanout/core";
import { type CounterLayoutSettings, indexWritesOf, itemKindOf } from "./keys.ts";

/** Where dedup records live, and the clock that leases are measured against. */
export interface DedupStore {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch milliseconds; injectable so tests can move past a lease without sleeping. */
  now: () => number;
  /** How long records live (TTL), in seconds; must outlive message retention. */
  ttlSeconds: number;
  /** The counter layout new jobs are recorded with (ADR 0014); the default unless a test shrinks it. */
  counterLayout?: CounterLayoutSettings;
}

/**
 * A DynamoDB client with fanout's connection pool, request counting and capacity counting by item kind;
 * create it once per container.
 */
export function createDynamoClient(options: ClientOptions = {}): DynamoDBClient {
  return countCapacity(countRequests(new DynamoDBClient(clientOptions(options)), "DynamoDB"), {
    partitionKey: partitionKey.name,
    kindOf: itemKindOf,
    indexesOf: indexWritesOf,
  });
}

export function createStore(options: {
  tableName: string;
  ttlSeconds: number;
  client?: DynamoDBClient;
  now?: () => number;
  counterLayout?: CounterLayoutSettings;
}): DedupStore {
  return {
    client: options.client ?? createDynamoClient(),
    tableName: options.tableName,
    ttlSeconds: options.ttlSeconds,
    now: options.now ?? Date.now,
    ...(options.counterLayout ? { counterLayout: options.counterLayout } : {}),
  };
}

/** TTL value (epoch seconds) for a record written now. */
export function expiresAt(store: DedupStore): number {
  return Math.floor(store.now() / 1000) + store.ttlSeconds;
}

/** What a counter write knows of its job's expiry: the job record's `expiresAt`, if the record has one. */
export interface JobExpiry {
  expiresAt?: number;
}

/**
 * The TTL part of a write to a job's counter items (shards, groups, progress item), as a SET action and its
 * values. A job recorded by this release has no `expiresAt` until it finishes, and neither do its counter
 * items: `finishJob` gives them all the job's expiry, so nothing a running job needs expires, however long it
 * runs (issue 18). The items of a job whose record has an expiry (finished, or recorded by an earlier release)
 * or of no recorded job (`job` undefined) get one at their first write, as before.
 */
export function counterExpiry(
  store: DedupStore,
  job: JobExpiry | undefined,
): { set?: string; values: Record<string, AttributeValue> } {
  if (job && job.expiresAt === undefined) return { values: {} };
  return {
    set: "expiresAt = if_not_exists(expiresAt, :exp)",
    values: { ":exp": { N: String(expiresAt(store)) } },
  };
}
