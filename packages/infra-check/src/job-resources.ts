import { jobIndexes, resourceNames, tableIndexes } from "@fanout/core";
import { type Finding, finding } from "./findings.ts";
import { calledModule, expressionText, mentions, nested, type Stack, type TfModule } from "./hcl.ts";

function moduleOf(stack: Stack, call: string): TfModule | undefined {
  const block = stack.root.moduleCalls.get(call);
  return block ? calledModule(stack, stack.root, block) : undefined;
}

/**
 * The table module declares exactly the global secondary indexes of core's `tableIndexes` (which the
 * emulators and the fault explorer create): same names, hash and range keys, projection; an `attribute`
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
    const expected = {
      hash_key: index.hashKey.name,
      range_key: index.rangeKey.name,
      projection_type: index.projection,
    };
    for (const [key, value] of Object.entries(expected)) {
      if (gsi[key] !== value)
        out.push(
          finding(
            "table indexes",
            where,
            `index "${index.name}": ${key} = ${JSON.stringify(gsi[key])}, core says "${value}"`,
          ),
        );
    }
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
 * deduplication), encrypted with a KMS key, and the output `topic_arn` is its ARN.
 */
export function checkJobsTopic(stack: Stack): Finding[] {
  const mod = moduleOf(stack, "notifications");
  if (!mod) return [finding("jobs topic", "root", 'no module "notifications"')];
  const topics = mod.resources.filter((r) => r.type === "aws_sns_topic");
  const topic = topics.find((r) =>
    mentions(mod.outputs.get("topic_arn")?.value, `aws_sns_topic.${r.name}.arn`),
  );
  if (!topic) return [finding("jobs topic", mod.dir, "output topic_arn is not the arn of an aws_sns_topic")];
  const where = `${mod.dir}: aws_sns_topic.${topic.name}`;
  const out: Finding[] = [];
  // The Terraform expression resourceNames() stands for: the prefix is var.name_prefix.
  const name = resourceNames({ name_prefix: "PREFIX" }).jobsTopic.replace("PREFIX", `\${var.name_prefix}`);
  if (topic.body.name !== name)
    out.push(
      finding(
        "jobs topic",
        where,
        `name = ${JSON.stringify(topic.body.name)}; resourceNames() says "${name}"`,
      ),
    );
  if (topic.body.fifo_topic !== true) out.push(finding("jobs topic", where, "fifo_topic must be true"));
  if (topic.body.content_based_deduplication !== false)
    out.push(
      finding("jobs topic", where, "content_based_deduplication must be false (the publisher names the id)"),
    );
  if (!mentions(topic.body.kms_master_key_id, "aws_kms_key"))
    out.push(finding("jobs topic", where, "kms_master_key_id must be the module's own aws_kms_key"));
  return out;
}
