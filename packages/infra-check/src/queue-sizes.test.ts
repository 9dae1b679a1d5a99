import { describe, expect, it } from "vitest";
import { checkQueueSizes } from "./queue-sizes.ts";
import { messages, stackWith } from "./testing.ts";

describe("checkQueueSizes", () => {
  it("passes the stack: every queue takes a task of the largest size main sends", async () => {
    expect(messages(checkQueueSizes(await stackWith()))).toEqual([]);
  });

  it("fails a dead-letter queue left at the provider's 256 KiB default (as it was)", async () => {
    const stack = await stackWith(["queue-dlq-default-size_override.tf", "modules/queue"]);
    expect(messages(checkQueueSizes(stack))).toEqual([
      "modules/queue: aws_sqs_queue.dead_letter: max_message_size is unset (the provider's 262144), not limits.sqsMessageBytes (1048576): a task main may send would not fit",
    ]);
  });
});
