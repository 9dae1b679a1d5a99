import { describe, expect, it } from "vitest";
import { checkJobsTopic, checkTableIndexes } from "./job-resources.ts";
import { messages, stackWith } from "./testing.ts";

describe("checkTableIndexes", () => {
  it("passes the stack as written: the table module has core's tableIndexes", async () => {
    expect(messages(checkTableIndexes(await stackWith()))).toEqual([]);
  });

  it("catches an index dropped or changed, and attributes that drift", async () => {
    const found = messages(
      checkTableIndexes(await stackWith(["table-index-drift_override.tf", "modules/table"])),
    );
    const where = "modules/table: aws_dynamodb_table.this";
    expect(found).toEqual([
      `${where}: index "jobs-by-created": projection_type = "KEYS_ONLY", core says "ALL"`,
      `${where}: no global_secondary_index "jobs-to-notify" (core's tableIndexes)`,
      `${where}: attribute "createdAt" must be declared with type N`,
      `${where}: attribute "notifyDue" must be declared with type S`,
      `${where}: attribute "finishedAt" must be declared with type N`,
      `${where}: attribute "status" is no key of the table or an index`,
    ]);
  });
});

describe("checkJobsTopic", () => {
  it("passes the stack as written: a FIFO topic <prefix>-jobs.fifo with its own key", async () => {
    expect(messages(checkJobsTopic(await stackWith()))).toEqual([]);
  });

  it("catches a standard topic, content-based deduplication and another name", async () => {
    const found = messages(
      checkJobsTopic(await stackWith(["jobs-topic-standard_override.tf", "modules/notifications"])),
    );
    const where = "modules/notifications: aws_sns_topic.jobs";
    expect(found).toEqual([
      `${where}: name = "\${var.name_prefix}-jobs"; resourceNames() says "\${var.name_prefix}-jobs.fifo"`,
      `${where}: fifo_topic must be true`,
      `${where}: content_based_deduplication must be false (the publisher names the id)`,
    ]);
  });
});
