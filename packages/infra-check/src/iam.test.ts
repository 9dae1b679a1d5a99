import { describe, expect, it } from "vitest";
import { checkIam, checkOperatorPolicy } from "./iam.ts";
import { expr, messages, stackWith } from "./testing.ts";

const iam = async (...fixtures: Array<[string, string]>) => messages(checkIam(await stackWith(...fixtures)));

describe("checkIam", () => {
  it("passes the stack as written", async () => {
    expect(await iam()).toEqual([]);
  });

  it("catches a wildcard action", async () => {
    expect(await iam(["iam-wildcard-action_override.tf", ""])).toContain(
      'root: consumer_dispatch/InvokeWorker: wildcard action "lambda:*"',
    );
  });

  it('catches a "*" resource for an action that supports resource-level permissions', async () => {
    const found = await iam(["iam-wildcard-resource_override.tf", ""]);
    expect(found).toContain(
      'root: worker_table/RecordOutcome: "*" resource for dynamodb:UpdateItem, which support resource-level permissions',
    );
    expect(found).toContain(
      'root: module "worker": grants dynamodb:UpdateItem on ["*"]; it must be only module.table.table_arn',
    );
  });

  it('allows "*" only for an action without resource-level permission, and only with a comment naming it', async () => {
    expect(await iam(["iam-star-uncommented_override.tf", ""])).toEqual([
      'root: tracing/Tracing: "*" resource without a comment naming why',
    ]);
    expect(await iam(["iam-star-commented_override.tf", ""])).toEqual([]);
  });

  it("catches an action the function does not need", async () => {
    expect(await iam(["iam-extra-action_override.tf", ""])).toEqual([
      'root: module "main": grants dynamodb:Scan (main_table), which main does not need',
    ]);
  });

  it("catches a grant on more than its one resource", async () => {
    expect(await iam(["iam-wrong-resource_override.tf", ""])).toEqual([
      `root: module "consumer": grants lambda:InvokeFunction on ["${expr("module.worker.function_arn")}","${expr("module.main.function_arn")}"]; it must be only module.worker.function_arn and local.self_arns.consumer`,
    ]);
  });

  it("holds an index Query to the index output", async () => {
    expect(await iam(["iam-index-and-queue_override.tf", ""])).toEqual([
      `root: module "consumer": grants dynamodb:Query on ["${expr("module.table.table_arn")}/index/*"]; it must be only module.table.jobs_to_notify_index_arn`,
    ]);
  });

  it("catches a missing action the function needs", async () => {
    expect(await iam(["iam-missing-action_override.tf", ""])).toEqual([
      'root: module "consumer": does not grant sqs:ChangeMessageVisibility, which consumer needs',
    ]);
  });

  it("catches main invoking the consumer when nudging is off", async () => {
    expect(await iam(["iam-unconditional-nudge_override.tf", ""])).toEqual([
      'root: module "main": grants lambda:InvokeFunction on module.consumer.function_arn unconditionally; it belongs only under var.main_nudges_consumer',
    ]);
  });

  it("catches a function that may write other functions' log groups", async () => {
    const found = await iam(["iam-logs-any-group_override.tf", "modules/function"]);
    expect(found.sort()).toEqual(
      ["consumer", "main", "worker"].map(
        (fn) =>
          `modules/function (module "${fn}"): logs: logs actions on ["arn:aws:logs:*:*:log-group:/aws/lambda/*:*"], not only its own log group`,
      ),
    );
  });

  it('allows "s3:*" and a "*" principal only in a Deny statement (the input bucket\'s TLS-only rule)', async () => {
    const found = await iam(["iam-allow-star-principal_override.tf", "modules/input"]);
    expect(found).toEqual([
      'modules/input: input/DenyInsecureTransport: wildcard action "s3:*"',
      'modules/input: input/DenyInsecureTransport: "*" principal',
    ]);
  });

  it("holds main's read of job sources to the input bucket's objects", async () => {
    expect(await iam(["iam-source-bucket_override.tf", ""])).toEqual([
      `root: module "main": grants s3:GetObject on ["${expr("module.input.bucket_arn")}"]; it must be only ${expr("module.input.bucket_arn")}/*`,
    ]);
  });

  it("holds self-invocation to the function's own ARN, always granted, with recursive loops allowed only there", async () => {
    const own = (fn: string) =>
      `arn:${expr("data.aws_partition.current.partition")}:lambda:${expr("var.aws_region")}:${expr("data.aws_caller_identity.current.account_id")}:function:${expr(`local.names.${fn}`)}`;
    expect(await iam(["iam-self-invoke_override.tf", ""])).toEqual([
      'root: module "main": grants lambda:InvokeFunction on local.self_arns.main only under var.main_nudges_consumer; main needs it always',
      'root: module "main": invokes itself, so recursive_loop must be "Allow" (Lambda stops a loop of Lambda functions after about 16 hops)',
      `root: local.self_arns.main = ${JSON.stringify(own("consumer"))}; it must be main's own ARN, "${own("main")}"`,
      'root: module "worker": recursive_loop = "Allow", but it does not invoke itself',
    ]);
  });

  it("holds the operator policy to operatorPrivilege: a widened or missing grant is found", async () => {
    expect(messages(checkOperatorPolicy(await stackWith()))).toEqual([]);
    const found = messages(checkOperatorPolicy(await stackWith(["iam-operator-wide_override.tf", ""])));
    expect(found).toContain(
      "root: data.aws_iam_policy_document.operator: grants sqs:SendMessage on *; it must be exactly module.queue.tasks_queue_arn",
    );
    expect(found).toContain(
      "root: data.aws_iam_policy_document.operator: misses lambda:InvokeFunction, which the CLI calls",
    );
  });
});
