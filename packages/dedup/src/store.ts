import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";

/** Where dedup records live, and the clock that leases are measured against. */
export interface DedupStore {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch milliseconds; injectable so tests can move past a lease without sleeping. */
  now: () => number;
  /** How long records live (TTL), in seconds; must outlive message retention. */
  ttlSeconds: number;
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
}): DedupStore {
  return {
    client: options.client ?? createDynamoClient(),
    tableName: options.tableName,
    ttlSeconds: options.ttlSeconds,
    now: options.now ?? Date.now,
  };
}

/** TTL value (epoch seconds) for a record written now. */
export function expiresAt(store: DedupStore): number {
  return Math.floor(store.now() / 1000) + store.ttlSeconds;
}
