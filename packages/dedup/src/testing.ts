import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createStore, type DedupStore } from "./store.ts";

/** A DedupStore whose clock a test moves by hand. */
type ClockedStore = DedupStore & {
  /** Moves this store's clock forward: leases expire without sleeping. */
  advance(ms: number): void;
};

/**
 * A store on the emulator with a clock the test moves by hand. With `endpoint`, its own client on
 * that endpoint; without, the SDK's default client (the emulators' vitest setup sets the endpoint).
 */
export function clockedStore(options: { tableName: string; endpoint?: string }): ClockedStore {
  let offset = 0;
  const client = options.endpoint
    ? new DynamoDBClient({
        endpoint: options.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "l", secretAccessKey: "l" },
      })
    : undefined;
  const store = createStore({
    tableName: options.tableName,
    ttlSeconds: 86_400,
    ...(client ? { client } : {}),
    now: () => Date.now() + offset,
  });
  return Object.assign(store, {
    advance: (ms: number) => {
      offset += ms;
    },
  });
}
