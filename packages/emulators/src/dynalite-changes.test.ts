import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ItemChange } from "./dynalite-changes.ts";
import { startDynamo } from "./dynamo.ts";
import { dynamoClient, rejection } from "./test-clients.ts";

// The local stand-in for a table's stream (ADR 0015, decision 2): what the emulator reports, over the wire.
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let other: Awaited<ReturnType<typeof startDynamo>>;
let db: DynamoDBClient;
const changes: ItemChange[] = [];
const otherChanges: ItemChange[] = [];
const TableName = "changes";

beforeAll(async () => {
  dynamo = await startDynamo({ onChange: (c) => changes.push(c) });
  other = await startDynamo({ onChange: (c) => otherChanges.push(c) });
  db = dynamoClient(dynamo.endpoint);
  await db.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  await waitUntilTableExists({ client: db, maxWaitTime: 10, minDelay: 1 }, { TableName });
});
afterAll(async () => {
  db?.destroy();
  await dynamo?.stop();
  await other?.stop();
});

/** The changes of one key, from `from` on. */
const of = (pk: string, from = 0) => changes.slice(from).filter((c) => c.keys.pk?.S === pk);

describe("item changes", () => {
  it("reports a put, an update and a delete with their images, in commit order", async () => {
    const pk = "TASK#j#0";
    const from = changes.length;
    await db.send(new PutItemCommand({ TableName, Item: { pk: { S: pk }, status: { S: "CLAIMED" } } }));
    await db.send(
      new UpdateItemCommand({
        TableName,
        Key: { pk: { S: pk } },
        UpdateExpression: "SET #s = :s ADD ok :i",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": { S: "RUNNING" }, ":i": { NS: ["3"] } },
      }),
    );
    await db.send(new DeleteItemCommand({ TableName, Key: { pk: { S: pk } } }));
    expect(of(pk, from).map((c) => [c.eventName, c.oldImage?.status?.S, c.newImage?.status?.S])).toEqual([
      ["INSERT", undefined, "CLAIMED"],
      ["MODIFY", "CLAIMED", "RUNNING"],
      ["REMOVE", "RUNNING", undefined],
    ]);
    expect(of(pk, from)[1]?.newImage?.ok).toEqual({ NS: ["3"] });
    expect(of(pk, from).every((c) => c.tableName === TableName && c.keys.pk?.S === pk)).toBe(true);
    const seqs = changes.map((c) => c.sequenceNumber);
    expect(seqs.every((s) => /^\d{21}$/.test(s))).toBe(true);
    expect([...seqs].sort()).toEqual(seqs);
  });

  it("reports nothing for a write that changes nothing or is refused by its condition", async () => {
    const pk = "TASK#j#1";
    await db.send(new PutItemCommand({ TableName, Item: { pk: { S: pk }, ok: { NS: ["1", "2"] } } }));
    const from = changes.length;
    // The same set members again: DynamoDB Streams writes no record for a write that changes no data.
    await db.send(
      new UpdateItemCommand({
        TableName,
        Key: { pk: { S: pk } },
        UpdateExpression: "ADD ok :i",
        ExpressionAttributeValues: { ":i": { NS: ["2", "1"] } },
      }),
    );
    const refused = await rejection(
      db.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: pk }, v: { S: "x" } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
    expect(refused.name).toBe("ConditionalCheckFailedException");
    expect(of(pk, from)).toEqual([]);
  });

  it("reports each item of a batch write, and only to the emulator that took it", async () => {
    const from = changes.length;
    await db.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TableName]: [
            { PutRequest: { Item: { pk: { S: "TASK#b#0" } } } },
            { PutRequest: { Item: { pk: { S: "TASK#b#1" } } } },
          ],
        },
      }),
    );
    expect(
      changes
        .slice(from)
        .map((c) => `${c.eventName} ${c.keys.pk?.S}`)
        .sort(),
    ).toEqual(["INSERT TASK#b#0", "INSERT TASK#b#1"]);
    expect(otherChanges).toEqual([]);
  });
});
