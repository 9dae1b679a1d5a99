import { describe, expect, it } from "vitest";
import { checkInputBucket, checkJobsTopic, checkTableIndexes } from "./job-resources.ts";
import { messages, stackWith } from "./testing.ts";

describe("checkTableIndexes", () => {
  it("passes the stack as written: the table module has core's tableIndexes", async () => {
    expect(messages(checkTableIndexes(await stackWith()))).toEqual([]);
  });

  it("catches an index dropped or changed (its keys as the deprecated hash_key/range_key), and attributes that drift", async () => {
    const found = messages(
      checkTableIndexes(await stackWith(["table-index-drift_override.tf", "modules/table"])),
    );
    const where = "modules/table: aws_dynamodb_table.this";
    expect(found).toEqual([
      `${where}: index "jobs-by-created": key_schema HASH = [], core says ["jobList"]`,
      `${where}: index "jobs-by-created": key_schema RANGE = [], core says ["createdAt"]`,
      `${where}: index "jobs-by-created": projection_type = "KEYS_ONLY", core says "ALL"`,
      `${where}: index "jobs-by-created": hash_key is deprecated in provider 6.x (every plan warns): use key_schema blocks`,
      `${where}: index "jobs-by-created": range_key is deprecated in provider 6.x (every plan warns): use key_schema blocks`,
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

  it("catches a standard topic under another name, and content-based deduplication in the topic module", async () => {
    const standard = messages(
      checkJobsTopic(await stackWith(["jobs-topic-standard_override.tf", "modules/notifications"])),
    );
    expect(standard).toEqual([
      "modules/notifications: module.topic: fifo must be true",
      `modules/notifications: module.topic: makes a topic named "\${var.name_prefix}-notices"; resourceNames() says "\${var.name_prefix}-jobs.fifo"`,
    ]);
    const deduplicating = messages(
      checkJobsTopic(await stackWith(["jobs-topic-content-dedup_override.tf", "modules/topic"])),
    );
    expect(deduplicating).toEqual([
      "modules/topic: aws_sns_topic.this: content_based_deduplication must be false (the publisher names the id)",
    ]);
  });
});

describe("checkInputBucket", () => {
  it("passes the stack as written: private, TLS only, encrypted, sources expire after input.expire_days", async () => {
    expect(messages(checkInputBucket(await stackWith()))).toEqual([]);
  });

  it("catches a fixed name, force_destroy, an open public access block and a lifecycle off the settings", async () => {
    const found = messages(
      checkInputBucket(await stackWith(["input-bucket-open_override.tf", "modules/input"])),
    );
    const where = "modules/input: aws_s3_bucket.input";
    expect(found).toEqual([
      `${where}: sets bucket: bucket names are global, use bucket_prefix`,
      `${where}: force_destroy must be false (a destroy must not delete sources)`,
      `${where}: public access block: restrict_public_buckets must be true`,
      `${where}: no enabled lifecycle rule over every object expiring it after var.expire_days`,
      `${where}: no enabled lifecycle rule aborting incomplete multipart uploads after 1 day`,
    ]);
  });

  it("catches a bucket policy that does not deny requests without TLS", async () => {
    const found = messages(
      checkInputBucket(await stackWith(["iam-allow-star-principal_override.tf", "modules/input"])),
    );
    expect(found).toEqual([
      "modules/input: aws_s3_bucket.input: the bucket policy must deny s3:* on the bucket and its objects when aws:SecureTransport is false",
    ]);
  });
});
