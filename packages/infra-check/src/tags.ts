import { type Finding, finding } from "./findings.ts";
import { calledModule, isUnset, mentions, type Stack } from "./hcl.ts";

/** Resource types that take `tags`. */
export const taggableTypes = new Set([
  "aws_sqs_queue",
  "aws_lambda_event_source_mapping",
  "aws_dynamodb_table",
  "aws_lambda_function",
  "aws_cloudwatch_log_group",
  "aws_iam_role",
  "aws_iam_policy",
  "aws_scheduler_schedule_group",
  "aws_cloudwatch_event_rule",
  "aws_kms_key",
  "aws_sns_topic",
  "aws_s3_bucket",
  "aws_cloudwatch_metric_alarm",
]);

/** Resource types that AWS or the provider cannot tag. */
export const untaggableTypes = new Set([
  "aws_iam_role_policy",
  "aws_iam_role_policy_attachment",
  "aws_sqs_queue_redrive_allow_policy",
  "aws_sqs_queue_policy",
  "aws_lambda_function_event_invoke_config",
  "aws_lambda_permission",
  "aws_scheduler_schedule",
  "aws_cloudwatch_event_target",
  "aws_cloudwatch_dashboard",
  "aws_kms_alias",
  "aws_sns_topic_policy",
  "aws_sns_topic_subscription",
  "aws_lambda_function_recursion_config",
  // The bucket's configuration resources: only the bucket itself takes tags.
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_lifecycle_configuration",
]);

/**
 * Every taggable resource sets `tags` from the module's `tags` variable (or, in the root, the tags local),
 * every call to a module with a `tags` variable passes it, and the root provider sets default_tags.
 */
export function checkTags(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values()) {
    const where = mod.dir || "root";
    for (const r of mod.resources) {
      const id = `${r.type}.${r.name}`;
      if (untaggableTypes.has(r.type)) continue;
      if (!taggableTypes.has(r.type)) {
        out.push(finding("tags", where, `${id}: unknown whether ${r.type} is taggable; add it to tags.ts`));
      } else if (!(mentions(r.body.tags, "var.tags") || mentions(r.body.tags, "local.tags"))) {
        out.push(finding("tags", where, `${id} is taggable but does not set tags from var.tags`));
      }
    }
    for (const [name, call] of mod.moduleCalls) {
      const target = calledModule(stack, mod, call);
      if (target?.variables.has("tags") && isUnset(call.tags)) {
        out.push(finding("tags", where, `module "${name}" does not pass tags`));
      }
    }
  }
  const defaultTags = stack.root.providers.some(
    (p) => p.name === "aws" && Array.isArray(p.body.default_tags),
  );
  if (!defaultTags) out.push(finding("tags", "root", 'provider "aws" sets no default_tags'));
  return out;
}
