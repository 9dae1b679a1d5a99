import { describe, expect, it } from "vitest";
import { jobIndexes, tableDefinition, tableIndexes } from "./table-schema.ts";

describe("tableDefinition", () => {
  it("declares pk and each index key once, with its type", () => {
    expect(tableDefinition("fanout-dedup").AttributeDefinitions).toEqual([
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "jobList", AttributeType: "S" },
      { AttributeName: "createdAt", AttributeType: "N" },
      { AttributeName: "notifyDue", AttributeType: "S" },
      { AttributeName: "finishedAt", AttributeType: "N" },
    ]);
  });

  it("has the two job indexes, hash + range, every attribute projected", () => {
    const definition = tableDefinition("t-1");
    expect(definition).toMatchObject({ TableName: "t-1", BillingMode: "PAY_PER_REQUEST" });
    expect(definition.GlobalSecondaryIndexes.map((i) => i.IndexName)).toEqual([
      jobIndexes.byCreated,
      jobIndexes.toNotify,
    ]);
    expect(definition.GlobalSecondaryIndexes[1]).toEqual({
      IndexName: "jobs-to-notify",
      KeySchema: [
        { AttributeName: "notifyDue", KeyType: "HASH" },
        { AttributeName: "finishedAt", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    });
    expect(tableIndexes.every((i) => i.projection === "ALL")).toBe(true);
  });
});
