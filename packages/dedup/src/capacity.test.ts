import { randomUUID } from "node:crypto";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { capacityCounts, countCapacity, partitionKey, resetRequestCounts } from "@fanout/core";
import { startLocalResources } from "@fanout/emulators";
import {
  createDynamoClient,
  createStore,
  type DedupStore,
  itemKindOf,
  listJobs,
  recordJob,
} from "@fanout/job-state";
import {
  counterKey,
  groupKey,
  indexWritesOf,
  jobKey,
  progressKey,
  runSlotKey,
  slotKey,
} from "@fanout/job-state/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimTask } from "./claims.ts";
import { taskKey } from "./task-keys.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let store: DedupStore;
beforeAll(async () => {
  local = await startLocalResources();
  // The wiring createDynamoClient ships (request counting, then capacity), on the emulator's endpoint.
  const client = countCapacity(
    new DynamoDBClient({
      endpoint: local.dynamoEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    }),
    { partitionKey: partitionKey.name, kindOf: itemKindOf, indexesOf: indexWritesOf },
  );
  store = createStore({ tableName: local.resources.tableName, ttlSeconds: 86_400, client });
});
afterAll(() => local.stop());
beforeEach(() => resetRequestCounts());

describe("item kinds", () => {
  it("names every kind of item the table holds from its partition key", () => {
    const kinds = [
      taskKey("j-1#0"),
      jobKey("j-1"),
      counterKey({ jobId: "j-1", epoch: 17 }, 3),
      groupKey("j-1", 17, 0),
      progressKey("j-1", 17),
      slotKey("j-1", 17, 2),
      runSlotKey("fanout-consumer", 0),
    ].map((k) => itemKindOf(k.pk.S));
    expect(kinds).toEqual(["task", "job", "shard", "group", "progress", "slot", "run-slot"]);
  });

  it("ships a client that counts capacity", () => {
    expect(createDynamoClient().middlewareStack.identify().join(" ")).toContain("fanoutCapacityCounter");
  });
});

describe("capacity counting on the emulator", () => {
  it("counts a claim as one task write unit, and a refused claim as a refused task write", async () => {
    const taskId = `j#${randomUUID()}`;
    const claim = { taskId, jobId: "j", index: 0, owner: "a", leaseSeconds: 30 };
    expect((await claimTask(store, claim)).outcome).toBe("claimed");
    expect((await claimTask(store, { ...claim, owner: "b" })).outcome).toBe("busy");
    expect(capacityCounts()).toEqual({ "task.write": 1, "task.refused": 1 });
  });

  it("charges a write by the item's size: 2,500 bytes are three write units", async () => {
    // pk (2 + 7 + 36 bytes) + "blob" (4) + 2,451 bytes: 2,500 bytes, by DynamoDB's rules (names plus values).
    const pk = `TASK#${randomUUID()}`;
    const blob = "x".repeat(2_500 - (2 + pk.length) - 4);
    await store.client.send(
      new PutItemCommand({ TableName: store.tableName, Item: { pk: { S: pk }, blob: { S: blob } } }),
    );
    expect(capacityCounts()).toEqual({ "task.write": 3 });
  });

  it("counts a query through an index as a read of that index, not as an index write", async () => {
    await recordJob(store, { jobId: `cap-${randomUUID().slice(0, 8)}`, contentHash: "h", total: 1 });
    resetRequestCounts();
    await listJobs(store, { limit: 5 });
    const counts = capacityCounts();
    expect(Object.keys(counts)).toEqual(["index:jobs-by-created.read"]);
    expect(counts["index:jobs-by-created.read"]).toBeGreaterThan(0);
  });

  it("adds the job record's index writes the emulator does not report (jobs-by-created)", async () => {
    const jobId = `cap-${randomUUID().slice(0, 8)}`;
    await recordJob(store, { jobId, contentHash: "h", total: 3 });
    const counts = capacityCounts();
    expect(counts["job.write"]).toBeGreaterThan(0);
    expect(counts["job.index.model"]).toBe(counts["job.write"]);
  });
});
