import { jobIndexes, tableIndexes } from "@fanout/core";
import { resourceNames } from "@fanout/tooling";
import { type Finding, finding } from "./findings.ts";
import { calledModule, expr, expressionText, mentions, nested, type Stack, type TfModule } from "./hcl.ts";

function moduleOf(stack: Stack, call: string): TfModule | undefined {
  const block = stack.root.moduleCalls.get(call);
  return block ? calledModule(stack, stack.root, block) : undefined;
}

/**
 * The table module declares exactly the global secondary indexes of core's `tableIndexes` (which the
 * emulators and the fault explorer create): same names, hash and range keys (as `key_schema` blocks, not
 * the deprecated `hash_key`/`range_key`), projection; an `attribute`
 * block for `pk` and for each index key with its type, and no other (Terraform wants attributes for keys
 * only); and the output `jobs_to_notify_index_arn` is that index's ARN.
 */
export function checkTableIndexes(stack: Stack): Finding[] {
  const mod = moduleOf(stack, "table");
  if (!mod) return [finding("table indexes", "root", 'no module "table"')];
  const table = mod.resources.find((r) => r.type === "aws_dynamodb_table");
  if (!table) return [finding("table indexes", mod.dir, "no aws_dynamodb_table")];
  const where = `${mod.dir}: aws_dynamodb_table.${table.name}`;
  const out: Finding[] = [];

  const declared = new Map(nested(table.body, "global_secondary_index").map((g) => [String(g.name), g]));
  for (const index of tableIndexes) {
    const gsi = declared.get(index.name);
    if (!gsi) {
      out.push(
        finding("table indexes", where, `no global_secondary_index "${index.name}" (core's tableIndexes)`),
      );
      continue;
    }
    // Provider 6.x: the index's keys as key_schema blocks (hash_key/range_key there are deprecated).
    const keysOf = (type: string) =>
      nested(gsi, "key_schema")
        .filter((k) => k.key_type === type)
        .map((k) => String(k.attribute_name));
    const expected: Record<string, unknown> = {
      "key_schema HASH": [index.hashKey.name],
      "key_schema RANGE": [index.rangeKey.name],
      projection_type: index.projection,
    };
    const actual: Record<string, unknown> = {
      "key_schema HASH": keysOf("HASH"),
      "key_schema RANGE": keysOf("RANGE"),
      projection_type: gsi.projection_type,
    };
    for (const [key, value] of Object.entries(expected)) {
      if (JSON.stringify(actual[key]) !== JSON.stringify(value))
        out.push(
          finding(
            "table indexes",
            where,
            `index "${index.name}": ${key} = ${JSON.stringify(actual[key])}, core says ${JSON.stringify(value)}`,
          ),
        );
    }
    for (const deprecated of ["hash_key", "range_key"])
      if (gsi[deprecated] !== undefined)
        out.push(
          finding(
            "table indexes",
            where,
            `index "${index.name}": ${deprecated} is deprecated in provider 6.x (every plan warns): use key_schema blocks`,
          ),
        );
  }
  for (const name of declared.keys()) {
    if (!tableIndexes.some((i) => i.name === name))
      out.push(finding("table indexes", where, `index "${name}" is not in core's tableIndexes`));
  }

  const keys = new Map<string, string>([[String(table.body.hash_key), "S"]]);
  for (const index of tableIndexes) {
    keys.set(index.hashKey.name, index.hashKey.type);
    keys.set(index.rangeKey.name, index.rangeKey.type);
  }
  const attributes = new Map(nested(table.body, "attribute").map((a) => [String(a.name), String(a.type)]));
  for (const [name, type] of keys) {
    if (attributes.get(name) !== type)
      out.push(finding("table indexes", where, `attribute "${name}" must be declared with type ${type}`));
  }
  for (const name of attributes.keys()) {
    if (!keys.has(name))
      out.push(finding("table indexes", where, `attribute "${name}" is no key of the table or an index`));
  }

  const output = expressionText(mod.outputs.get("jobs_to_notify_index_arn")?.value);
  if (!output.endsWith(`/index/${jobIndexes.toNotify}`))
    out.push(
      finding(
        "table indexes",
        mod.dir,
        `output jobs_to_notify_index_arn is not the ARN of index ${jobIndexes.toNotify}`,
      ),
    );
  return out;
}

/**
 * The jobs topic is what the job.finished notice relies on (ADR 0012): an SNS FIFO topic named as
 * `resourceNames().jobsTopic`, deduplicating by the publisher's MessageDeduplicationId only (no content-based
 * deduplication), encrypted with a KMS key of its own. The notifications module makes it with the shared
 * topic module (modules/topic, which the alarm topic uses too), so the check reads the call's arguments and
 * the topic module's resource as it is with them (`var.fifo ? a : b` taken on the call's `fifo`).
 */
export function checkJobsTopic(stack: Stack): Finding[] {
  const mod = moduleOf(stack, "notifications");
  if (!mod) return [finding("jobs topic", "root", 'no module "notifications"')];
  const callName = /^\$\{module\.(\w+)\.topic_arn\}$/.exec(
    String(mod.outputs.get("topic_arn")?.value ?? ""),
  )?.[1];
  const call = callName === undefined ? undefined : mod.moduleCalls.get(callName);
  const topicModule = call ? calledModule(stack, mod, call) : undefined;
  const topic = topicModule?.resources.find(
    (r) =>
      r.type === "aws_sns_topic" &&
      mentions(topicModule.outputs.get("topic_arn")?.value, `aws_sns_topic.${r.name}.arn`),
  );
  if (!call || !topicModule || !topic)
    return [
      finding(
        "jobs topic",
        mod.dir,
        "output topic_arn is not the topic_arn of a module call making an aws_sns_topic",
      ),
    ];
  const where = `${mod.dir}: module.${callName}`;
  const out: Finding[] = [];
  const fifo = call.fifo === true;
  if (!fifo) out.push(finding("jobs topic", where, "fifo must be true"));
  /** An attribute of the topic as the call makes it: `var.fifo ? a : b` resolved, `var.name` substituted. */
  const asCalled = (value: unknown): unknown => {
    const branch = /^var\.fifo\s*\?\s*(.+?)\s*:\s*(.+)$/.exec(expressionText(value));
    const text = branch ? (fifo ? branch[1] : branch[2]) : undefined;
    if (text === undefined) return value;
    if (text === "var.name") return call.name;
    try {
      const literal = JSON.parse(text) as unknown;
      // A quoted interpolation of the name, e.g. "${var.name}.fifo".
      return typeof literal === "string" ? literal.replace(expr("var.name"), String(call.name)) : literal;
    } catch {
      return text;
    }
  };
  // The Terraform expression resourceNames() stands for: the prefix is var.name_prefix.
  const name = resourceNames({ name_prefix: "PREFIX" }).jobsTopic.replace("PREFIX", `\${var.name_prefix}`);
  const made = asCalled(topic.body.name);
  if (made !== name)
    out.push(
      finding(
        "jobs topic",
        where,
        `makes a topic named ${JSON.stringify(made)}; resourceNames() says "${name}"`,
      ),
    );
  const tw = `${topicModule.dir}: aws_sns_topic.${topic.name}`;
  if (fifo && asCalled(topic.body.fifo_topic) !== true)
    out.push(finding("jobs topic", tw, "fifo_topic must be true for a FIFO topic"));
  if (fifo && asCalled(topic.body.content_based_deduplication) !== false)
    out.push(
      finding("jobs topic", tw, "content_based_deduplication must be false (the publisher names the id)"),
    );
  if (!mentions(topic.body.kms_master_key_id, "aws_kms_key"))
    out.push(finding("jobs topic", tw, "kms_master_key_id must be the module's own aws_kms_key"));
  return out;
}

/**
 * The job-source bucket (modules/input) is private and short-lived: named from `resourceNames().inputBucket`
 * as a prefix (bucket names are global), `force_destroy` off, every public access block on, ACLs off
 * (`BucketOwnerEnforced`), default encryption, a bucket policy denying requests without TLS on the bucket
 * and its objects, and one enabled lifecycle rule over every object that expires it after
 * `var.expire_days` (fed from the settings' `input.expire_days`) and aborts incomplete multipart uploads
 * after a day. `bucket_name` and `bucket_arn` are that bucket's.
 */
export function checkInputBucket(stack: Stack): Finding[] {
  const mod = moduleOf(stack, "input");
  if (!mod) return [finding("input bucket", "root", 'no module "input"')];
  const bucket = mod.resources.find(
    (r) =>
      r.type === "aws_s3_bucket" &&
      mentions(mod.outputs.get("bucket_name")?.value, `aws_s3_bucket.${r.name}.id`),
  );
  if (!bucket)
    return [finding("input bucket", mod.dir, "output bucket_name is not the id of an aws_s3_bucket")];
  const where = `${mod.dir}: aws_s3_bucket.${bucket.name}`;
  const out: Finding[] = [];
  const ref = `aws_s3_bucket.${bucket.name}`;
  /** The bucket's configuration resource of a type, if one points at this bucket. */
  const config = (type: string) =>
    mod.resources.find((r) => r.type === type && expressionText(r.body.bucket) === `${ref}.id`);
  const need = (type: string) => {
    const r = config(type);
    if (!r) out.push(finding("input bucket", where, `no ${type} for this bucket`));
    return r?.body;
  };

  // resourceNames() names the local stack's bucket; in AWS it is the prefix of a unique name.
  const local = resourceNames({ name_prefix: "PREFIX" }).inputBucket;
  const prefix = String(bucket.body.bucket_prefix ?? "");
  if (
    !/^\$\{substr\(var\.name_prefix, 0, 30\)\}/.test(prefix) ||
    !prefix.endsWith(`${local.replace("PREFIX", "")}-`)
  )
    out.push(
      finding(
        "input bucket",
        where,
        `bucket_prefix = ${JSON.stringify(bucket.body.bucket_prefix ?? null)}; resourceNames() says "${local}" as a prefix: "\${substr(var.name_prefix, 0, 30)}${local.replace("PREFIX", "")}-" (at most 37 characters)`,
      ),
    );
  if (bucket.body.bucket !== undefined)
    out.push(finding("input bucket", where, "sets bucket: bucket names are global, use bucket_prefix"));
  if (bucket.body.force_destroy !== false)
    out.push(
      finding("input bucket", where, "force_destroy must be false (a destroy must not delete sources)"),
    );

  const block = need("aws_s3_bucket_public_access_block");
  if (block) {
    for (const key of [
      "block_public_acls",
      "block_public_policy",
      "ignore_public_acls",
      "restrict_public_buckets",
    ])
      if (block[key] !== true)
        out.push(finding("input bucket", where, `public access block: ${key} must be true`));
  }

  const ownership = need("aws_s3_bucket_ownership_controls");
  if (ownership && nested(ownership, "rule")[0]?.object_ownership !== "BucketOwnerEnforced")
    out.push(finding("input bucket", where, "object_ownership must be BucketOwnerEnforced (ACLs off)"));

  const sse = need("aws_s3_bucket_server_side_encryption_configuration");
  if (sse) {
    const byDefault = nested(nested(sse, "rule")[0] ?? {}, "apply_server_side_encryption_by_default")[0];
    if (!["AES256", "aws:kms"].includes(String(byDefault?.sse_algorithm)))
      out.push(finding("input bucket", where, "default encryption must be AES256 or aws:kms"));
  }

  const policy = need("aws_s3_bucket_policy");
  if (policy) {
    const doc = /data\.aws_iam_policy_document\.([\w-]+)\.json/.exec(expressionText(policy.policy))?.[1];
    const statements = mod.data
      .filter((d) => d.type === "aws_iam_policy_document" && d.name === doc)
      .flatMap((d) => nested(d.body, "statement"));
    const tlsOnly = statements.some((s) => {
      const resources = Array.isArray(s.resources) ? s.resources.map(expressionText) : [];
      const actions = Array.isArray(s.actions) ? s.actions : [];
      return (
        s.effect === "Deny" &&
        actions.includes("s3:*") &&
        resources.includes(`${ref}.arn`) &&
        resources.includes(`\${${ref}.arn}/*`) &&
        nested(s, "condition").some(
          (c) =>
            c.test === "Bool" &&
            c.variable === "aws:SecureTransport" &&
            JSON.stringify(c.values) === JSON.stringify(["false"]),
        )
      );
    });
    if (!tlsOnly)
      out.push(
        finding(
          "input bucket",
          where,
          "the bucket policy must deny s3:* on the bucket and its objects when aws:SecureTransport is false",
        ),
      );
  }

  const lifecycle = need("aws_s3_bucket_lifecycle_configuration");
  if (lifecycle) {
    const rules = nested(lifecycle, "rule").filter((r) => r.status === "Enabled");
    const everyObject = (r: Record<string, unknown>) => {
      const filters = nested(r, "filter");
      return r.prefix === undefined && filters.length === 1 && Object.keys(filters[0] ?? {}).length === 0;
    };
    const expires = rules.some(
      (r) => everyObject(r) && expressionText(nested(r, "expiration")[0]?.days) === "var.expire_days",
    );
    if (!expires)
      out.push(
        finding(
          "input bucket",
          where,
          "no enabled lifecycle rule over every object expiring it after var.expire_days",
        ),
      );
    const aborts = rules.some(
      (r) => everyObject(r) && nested(r, "abort_incomplete_multipart_upload")[0]?.days_after_initiation === 1,
    );
    if (!aborts)
      out.push(
        finding(
          "input bucket",
          where,
          "no enabled lifecycle rule aborting incomplete multipart uploads after 1 day",
        ),
      );
  }

  if (expressionText(mod.outputs.get("bucket_arn")?.value) !== `${ref}.arn`)
    out.push(finding("input bucket", mod.dir, `output bucket_arn must be ${ref}.arn`));
  const call = stack.root.moduleCalls.get("input");
  if (expressionText(call?.expire_days) !== "var.input.expire_days")
    out.push(
      finding(
        "input bucket",
        'root: module "input"',
        "expire_days must be var.input.expire_days (the settings' input.expire_days)",
      ),
    );
  return out;
}
