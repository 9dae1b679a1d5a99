import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { jobIndexes } from "@fanout/core";
import { parseSettings } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDynamo } from "./dynamo.ts";
import { type RunningEmulators, startEmulators } from "./emulators.ts";
import { createResources } from "./resources.ts";
import { dynamoClient, rejection } from "./test-clients.ts";

// Conformance: the DynamoDB behaviour fanout relies on, checked against the emulator over the AWS wire protocol.
let emulators: RunningEmulators;
let db: DynamoDBClient;
let TableName: string;

beforeAll(async () => {
  emulators = await startEmulators();
  db = dynamoClient(emulators.dynamoEndpoint);
  ({ tableName: TableName } = await createResources({
    settings: parseSettings({}),
    sqsEndpoint: emulators.sqsEndpoint,
    dynamoEndpoint: emulators.dynamoEndpoint,
  }));
});
afterAll(async () => {
  db?.destroy();
  await emulators?.stop();
});

let keys = 0;
const key = () => ({ pk: { S: `TASK#test-${++keys}` } });
const claimable = "attribute_not_exists(pk) OR (#s = :claimed AND #lease < :now)";
const names = { "#s": "status", "#lease": "leaseUntil" };
const claimValues = (now: number) => ({ ":claimed": { S: "CLAIMED" }, ":now": { N: String(now) } });

function claimPut(pk: Record<string, AttributeValue>, now: number, owner: string) {
  return new PutItemCommand({
    TableName,
    Item: { ...pk, status: { S: "CLAIMED" }, leaseUntil: { N: String(now + 60) }, owner: { S: owner } },
    ConditionExpression: claimable,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: claimValues(now),
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
}

describe("DynamoDB conformance (dynalite)", () => {
  it("createResources made the table fanout expects", async () => {
    const { Table } = await db.send(new DescribeTableCommand({ TableName }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.KeySchema).toEqual([{ AttributeName: "pk", KeyType: "HASH" }]);
    expect(Table?.AttributeDefinitions).toEqual([
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "jobList", AttributeType: "S" },
      { AttributeName: "createdAt", AttributeType: "N" },
      { AttributeName: "notifyDue", AttributeType: "S" },
      { AttributeName: "finishedAt", AttributeType: "N" },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(
      Table?.GlobalSecondaryIndexes?.map((i) => ({
        name: i.IndexName,
        keys: i.KeySchema?.map((k) => `${k.AttributeName} ${k.KeyType}`),
        projection: i.Projection?.ProjectionType,
        status: i.IndexStatus,
      })),
    ).toEqual([
      {
        name: "jobs-by-created",
        keys: ["jobList HASH", "createdAt RANGE"],
        projection: "ALL",
        status: "ACTIVE",
      },
      {
        name: "jobs-to-notify",
        keys: ["notifyDue HASH", "finishedAt RANGE"],
        projection: "ALL",
        status: "ACTIVE",
      },
    ]);
  });

  it("jobs-by-created: one Query lists job records newest first, in pages, with every attribute", async () => {
    const list = `list-${Date.now()}`; // a list of its own, so other tests' items stay out
    for (let i = 0; i < 5; i++) {
      await db.send(
        new PutItemCommand({
          TableName,
          Item: {
            pk: { S: `JOB#by-created-${i}` },
            jobList: { S: list },
            createdAt: { N: String(1_000 + i) },
            total: { N: "3" },
          },
        }),
      );
    }
    await db.send(new PutItemCommand({ TableName, Item: { pk: { S: "TASK#not-listed" } } }));
    const pages: string[][] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName,
          IndexName: jobIndexes.byCreated,
          KeyConditionExpression: "jobList = :list",
          ExpressionAttributeValues: { ":list": { S: list } },
          ScanIndexForward: false,
          Limit: 2,
          ExclusiveStartKey,
        }),
      );
      pages.push((page.Items ?? []).map((item) => String(item.pk?.S)));
      expect(page.Items?.every((item) => item.total?.N === "3")).toBe(true); // projection ALL
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    expect(pages).toEqual([
      ["JOB#by-created-4", "JOB#by-created-3"],
      ["JOB#by-created-2", "JOB#by-created-1"],
      ["JOB#by-created-0"],
    ]);
  });

  it("jobs-to-notify is sparse: only items carrying notifyDue, and REMOVE notifyDue takes one out", async () => {
    const due = `due-${Date.now()}`;
    const put = (n: number, notify: boolean) =>
      db.send(
        new PutItemCommand({
          TableName,
          Item: {
            pk: { S: `JOB#to-notify-${n}` },
            finishedAt: { N: String(2_000 + n) },
            ...(notify ? { notifyDue: { S: due } } : {}),
          },
        }),
      );
    await Promise.all([put(1, true), put(2, false), put(3, true)]);
    const query = async () =>
      (
        await db.send(
          new QueryCommand({
            TableName,
            IndexName: jobIndexes.toNotify,
            KeyConditionExpression: "notifyDue = :due AND finishedAt < :before",
            ExpressionAttributeValues: { ":due": { S: due }, ":before": { N: "9999" } },
          }),
        )
      ).Items?.map((item) => item.pk?.S);
    expect(await query()).toEqual(["JOB#to-notify-1", "JOB#to-notify-3"]);
    await db.send(
      new UpdateItemCommand({
        TableName,
        Key: { pk: { S: "JOB#to-notify-1" } },
        UpdateExpression: "REMOVE notifyDue SET notifiedAt = :now",
        ExpressionAttributeValues: { ":now": { N: "3000" } },
      }),
    );
    expect(await query()).toEqual(["JOB#to-notify-3"]);
    // As on DynamoDB: a global secondary index has no strongly consistent read, and a key of the wrong type
    // is refused at the write.
    const consistent = await rejection(
      db.send(
        new QueryCommand({
          TableName,
          IndexName: jobIndexes.toNotify,
          ConsistentRead: true,
          KeyConditionExpression: "notifyDue = :due",
          ExpressionAttributeValues: { ":due": { S: due } },
        }),
      ),
    );
    expect(consistent.name).toBe("ValidationException");
    const wrongType = await rejection(
      db.send(new PutItemCommand({ TableName, Item: { pk: { S: "JOB#bad" }, createdAt: { S: "x" } } })),
    );
    expect(wrongType.name).toBe("ValidationException");
  });

  it("createResources refuses a table kept from before the indexes, naming them", async () => {
    const old = "old-dedup";
    await db.send(
      new CreateTableCommand({
        TableName: old,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const error = await rejection(
      createResources({
        settings: parseSettings({ name_prefix: "old" }),
        sqsEndpoint: emulators.sqsEndpoint,
        dynamoEndpoint: emulators.dynamoEndpoint,
      }),
    );
    expect(error.message).toMatch(/old-dedup exists without the index\(es\) jobs-by-created, jobs-to-notify/);
  });

  it("conditional PutItem claims a free key, refuses a live lease with ALL_OLD, takes over an expired one", async () => {
    const pk = key();
    await db.send(claimPut(pk, 1_000, "a"));
    const refused = await rejection(db.send(claimPut(pk, 1_030, "b")));
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect((refused as unknown as ConditionalCheckFailedException).Item).toEqual({
      ...pk,
      status: { S: "CLAIMED" },
      leaseUntil: { N: "1060" },
      owner: { S: "a" },
    });
    await db.send(claimPut(pk, 1_061, "c")); // lease 1060 < now 1061: expired, taken over
    const { Item } = await db.send(new GetItemCommand({ TableName, Key: pk, ConsistentRead: true }));
    expect(Item?.owner).toEqual({ S: "c" });
  });

  it("conditional UpdateItem with the same condition; a non-CLAIMED status never matches", async () => {
    const pk = key();
    const claim = (now: number) =>
      new UpdateItemCommand({
        TableName,
        Key: pk,
        UpdateExpression: "SET #s = :claimed, #lease = :until",
        ConditionExpression: claimable,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...claimValues(now), ":until": { N: String(now + 60) } },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        ReturnValues: "ALL_NEW",
      });
    const first = await db.send(claim(1_000));
    expect(first.Attributes).toEqual({ ...pk, status: { S: "CLAIMED" }, leaseUntil: { N: "1060" } });
    const refused = await rejection(db.send(claim(1_010)));
    expect((refused as unknown as ConditionalCheckFailedException).Item?.leaseUntil).toEqual({ N: "1060" });
    await db.send(
      new UpdateItemCommand({
        TableName,
        Key: pk,
        UpdateExpression: "SET #s = :dispatched REMOVE #lease",
        ConditionExpression: "#s = :claimed",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":claimed": { S: "CLAIMED" }, ":dispatched": { S: "DISPATCHED" } },
      }),
    );
    const late = await rejection(db.send(claim(999_999)));
    expect(late).toBeInstanceOf(ConditionalCheckFailedException);
    expect((late as unknown as ConditionalCheckFailedException).Item?.status).toEqual({ S: "DISPATCHED" });
  });

  it("ADD to a number set is idempotent; DELETE from another set works in the same update", async () => {
    const pk = key();
    const move = (n: string) =>
      new UpdateItemCommand({
        TableName,
        Key: pk,
        UpdateExpression: "ADD #done :n, #count :one DELETE #pending :n",
        ExpressionAttributeNames: { "#done": "done", "#pending": "pending", "#count": "count" },
        ExpressionAttributeValues: { ":n": { NS: [n] }, ":one": { N: "1" } },
        ReturnValues: "ALL_NEW",
      });
    await db.send(new PutItemCommand({ TableName, Item: { ...pk, pending: { NS: ["1", "2", "3"] } } }));
    await db.send(move("2"));
    const twice = await db.send(move("2"));
    expect(twice.Attributes?.done).toEqual({ NS: ["2"] });
    expect([...(twice.Attributes?.pending?.NS ?? [])].sort()).toEqual(["1", "3"]);
    expect(twice.Attributes?.count).toEqual({ N: "2" }); // a plain number ADD is not idempotent
    await db.send(move("1"));
    const last = await db.send(move("3"));
    expect([...(last.Attributes?.done?.NS ?? [])].sort()).toEqual(["1", "2", "3"]);
    expect(last.Attributes?.pending).toBeUndefined(); // an emptied set disappears, as in DynamoDB
  });

  it("BatchGetItem of 100 keys (and refuses 101)", async () => {
    const pks = Array.from({ length: 100 }, () => key());
    for (let i = 0; i < pks.length; i += 25) {
      const RequestItems = {
        [TableName]: pks
          .slice(i, i + 25)
          .map((pk) => ({ PutRequest: { Item: { ...pk, n: { N: String(i) } } } })),
      };
      const out = await db.send(new BatchWriteItemCommand({ RequestItems }));
      expect(Object.keys(out.UnprocessedItems ?? {})).toEqual([]);
    }
    const found: Record<string, AttributeValue>[] = [];
    let request: Record<string, { Keys: Record<string, AttributeValue>[] }> | undefined = {
      [TableName]: { Keys: pks },
    };
    while (request && Object.keys(request).length > 0) {
      const out = await db.send(new BatchGetItemCommand({ RequestItems: request }));
      found.push(...(out.Responses?.[TableName] ?? []));
      request = out.UnprocessedKeys as typeof request;
    }
    expect(found.map((i) => i.pk?.S).sort()).toEqual(pks.map((k) => k.pk.S).sort());
    const tooMany = await rejection(
      db.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [...pks, key()] } } })),
    );
    expect(tooMany.name).toBe("ValidationException");
  });

  it("64 concurrent conditional puts on one key: exactly one wins", async () => {
    const pk = key();
    const results = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) => db.send(claimPut(pk, 1_000, `w${i}`))),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(63);
    for (const r of lost) expect(r.reason).toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe("dynalite with dataDir", () => {
  it("keeps tables and items across stop/start, on the same port", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "fanout-dynalite-"));
    try {
      const first = await startDynamo({ dataDir });
      const c1 = dynamoClient(first.endpoint);
      await c1.send(
        new CreateTableCommand({
          TableName: "persisted",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      // dynalite flips CREATING -> ACTIVE on a timer (even at createTableMs 0), as AWS does after a delay.
      await waitUntilTableExists({ client: c1, maxWaitTime: 10, minDelay: 1 }, { TableName: "persisted" });
      await c1.send(
        new PutItemCommand({ TableName: "persisted", Item: { pk: { S: "k" }, v: { S: "kept" } } }),
      );
      await first.stop();
      const second = await startDynamo({ dataDir, port: first.port });
      const c2 = dynamoClient(second.endpoint);
      try {
        const { Item } = await c2.send(
          new GetItemCommand({ TableName: "persisted", Key: { pk: { S: "k" } } }),
        );
        expect(Item?.v).toEqual({ S: "kept" });
      } finally {
        c1.destroy();
        c2.destroy();
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
