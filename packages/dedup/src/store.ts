import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";
import type { CounterLayoutSettings } from "./keys.ts";

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

/** A DynamoDB client with fanout's connection pool and request counting; create it once per container. */
export function createDynamoClient(options: ClientOptions = {}): DynamoDBClient {
  return countRequests(new DynamoDBClient(clientOptions(options)), "DynamoDB");
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
