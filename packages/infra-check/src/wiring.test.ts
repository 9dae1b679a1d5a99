import { describe, expect, it } from "vitest";
import { checkTags } from "./tags.ts";
import { expr, messages, stackWith } from "./testing.ts";
import { checkVisibilityTimeout } from "./timeouts.ts";
import { checkWiring } from "./wiring.ts";

describe("checkWiring", () => {
  it("passes the stack as written: redrive to the DLQ, worker failures to the failed-task queue", async () => {
    expect(messages(checkWiring(await stackWith()))).toEqual([]);
  });

  it("catches a tasks queue without a redrive policy", async () => {
    expect(messages(checkWiring(await stackWith(["redrive-missing_override.tf", "modules/queue"])))).toEqual([
      "modules/queue: aws_sqs_queue.tasks has no redrive policy to a dead-letter queue",
    ]);
  });

  it("catches a queue redriving to itself with a fixed receive count", async () => {
    expect(messages(checkWiring(await stackWith(["redrive-to-self_override.tf", "modules/queue"])))).toEqual([
      "modules/queue: the tasks queue redrives to itself",
      "modules/queue: redrive maxReceiveCount is not var.max_receive_count",
    ]);
  });

  it("catches worker failures sent to the tasks queue", async () => {
    expect(messages(checkWiring(await stackWith(["on-failure-tasks-queue_override.tf", ""])))).toEqual([
      `root: module "worker": on-failure destination is "${expr("module.queue.tasks_queue_arn")}", not module.queue.failed_tasks_queue_arn`,
    ]);
  });

  it("catches an invoke config that drops the on-failure destination", async () => {
    expect(
      messages(checkWiring(await stackWith(["on-failure-unwired_override.tf", "modules/function"]))),
    ).toEqual([
      "modules/function: the invoke config does not send failures to async_invoke.on_failure_destination_arn",
    ]);
  });
});

describe("checkVisibilityTimeout", () => {
  it("passes the stack as written", async () => {
    expect(messages(checkVisibilityTimeout(await stackWith()))).toEqual([]);
  });

  it("catches a visibility timeout validated against the wrong function's timeout", async () => {
    expect(
      messages(checkVisibilityTimeout(await stackWith(["timeouts-wrong-function_override.tf", ""]))),
    ).toEqual([
      `root: module "queue": consumer_timeout_seconds is "${expr("var.functions.worker.timeout_seconds")}", not var.functions.consumer.timeout_seconds`,
    ]);
  });

  it("catches a queue module that no longer validates visibility against the consumer timeout", async () => {
    expect(
      messages(
        checkVisibilityTimeout(await stackWith(["timeouts-unvalidated_override.tf", "modules/queue"])),
      ),
    ).toEqual([
      "modules/queue: visibility_timeout_seconds is not validated as >= var.consumer_timeout_seconds",
    ]);
  });
});

describe("checkTags", () => {
  it("passes the stack as written", async () => {
    expect(messages(checkTags(await stackWith()))).toEqual([]);
  });

  it("catches a taggable resource without tags", async () => {
    expect(messages(checkTags(await stackWith(["tags-untagged-queue.tf", "modules/queue"])))).toEqual([
      "modules/queue: aws_sqs_queue.extra is taggable but does not set tags from var.tags",
    ]);
  });

  it("catches a module call without tags and a provider without default tags", async () => {
    const stack = await stackWith(
      ["tags-module-call_override.tf", ""],
      ["tags-no-default-tags_override.tf", ""],
    );
    expect(messages(checkTags(stack))).toEqual([
      'root: module "table" does not pass tags',
      'root: provider "aws" sets no default_tags',
    ]);
  });
});
