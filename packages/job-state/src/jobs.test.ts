import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { localCredentials, startLocalResources } from "@fanout/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Item } from "./condition-failure.ts";
import { batchGetAll, recordJob } from "./jobs.ts";
import { jobKey } from "./keys.ts";
import { createStore, type DedupStore } from "./store.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
beforeAll(async () => {
  local = await startLocalResources();
});
afterAll(() => local.stop());

/**
 * A store whose client, for its first `times` BatchGetItem calls, sends all keys but the last and returns that one
 * as unprocessed, as DynamoDB does when it throttles part of a batch (the emulator never does).
 */
function throttlingStore(times: number): { store: DedupStore; calls: () => number } {
  let calls = 0;
  const client = new DynamoDBClient({
    endpoint: local.dynamoEndpoint,
    region: "us-east-1",
    credentials: localCredentials,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchGetItemCommand") return next(args);
      calls++;
      const input = args.input as { RequestItems: Record<string, { Keys: Item[] }> };
      const [table, request] = Object.entries(input.RequestItems)[0] ?? [];
      if (calls > times || !table || !request) return next(args);
      const held = request.Keys.slice(-1);
      const unprocessed = { UnprocessedKeys: { [table]: { Keys: held } } };
      // A batch of one key comes back whole as unprocessed, without a request.
      if (request.Keys.length === 1)
        return { output: { Responses: { [table]: [] }, ...unprocessed, $metadata: {} }, response: {} };
      const result = await next({
        ...args,
        input: { RequestItems: { [table]: { ...request, Keys: request.Keys.slice(0, -1) } } },
      });
      Object.assign(result.output as object, unprocessed);
      return result;
    },
    { step: "initialize" },
  );
  const store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400, client });
  return { store, calls: () => calls };
}

describe("batchGetAll", () => {
  it("reads the keys a throttled batch left unprocessed again until every item is in", async () => {
    const { store, calls } = throttlingStore(2);
    const ids = ["b-1", "b-2", "b-3", "b-4"].map((id) => `${id}-${Date.now()}`);
    for (const jobId of ids) await recordJob(store, { jobId, contentHash: "h", total: 1 });
    const items = await batchGetAll(store, ids.map(jobKey));
    expect(items.map((i) => i.pk?.S).sort()).toEqual(ids.map((id) => `JOB#${id}`).sort());
    // The first two answers held the last key back: three requests in all.
    expect(calls()).toBe(3);
  });

  it("gives up, saying how many keys were left, when a batch stays throttled", async () => {
    const { store, calls } = throttlingStore(100);
    const ids = ["c-1", "c-2"].map((id) => `${id}-${Date.now()}`);
    for (const jobId of ids) await recordJob(store, { jobId, contentHash: "h", total: 1 });
    await expect(batchGetAll(store, ids.map(jobKey))).rejects.toThrow("BatchGetItem left 1 keys unprocessed");
    expect(calls()).toBe(9);
  });
});
