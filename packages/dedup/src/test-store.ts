import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createStore, type DedupStore } from "./store.ts";

/** A store on the emulator with a clock the test moves by hand (leases expire without sleeping). */
export function testStore(endpoint: string, tableName: string): DedupStore & { advance(ms: number): void } {
  let offset = 0;
  const store = createStore({
    tableName,
    ttlSeconds: 86_400,
    client: new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    }),
    now: () => Date.now() + offset,
  });
  const advance = (ms: number) => {
    offset += ms;
  };
  return Object.assign(store, { advance });
}
