import { limits } from "@fanout/core";
import { type Finding, finding } from "./findings.ts";
import type { Stack } from "./hcl.ts";

/**
 * Every queue of the stack can receive a task (the tasks queue; its dead-letter queue, which SQS moves
 * tasks into; the failed-task queue, which holds the worker's event): each must take a message as large as
 * main may send (`limits.sqsMessageBytes`). Left unset, the provider's default of 256 KiB applies and SQS
 * refuses the move of a larger task, which then stays on the tasks queue until its retention ends.
 */
export function checkQueueSizes(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values())
    for (const queue of mod.resources.filter((r) => r.type === "aws_sqs_queue")) {
      const size = queue.body.max_message_size;
      if (size !== limits.sqsMessageBytes)
        out.push(
          finding(
            "queue sizes",
            `${mod.dir || "root"}: aws_sqs_queue.${queue.name}`,
            `max_message_size is ${size === undefined || size === null ? "unset (the provider's 262144)" : JSON.stringify(size)}, not limits.sqsMessageBytes (${limits.sqsMessageBytes}): a task main may send would not fit`,
          ),
        );
    }
  return out;
}
