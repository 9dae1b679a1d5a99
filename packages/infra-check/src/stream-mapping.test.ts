import { describe, expect, it } from "vitest";
import { checkStreamMapping } from "./stream-mapping.ts";
import { messages, stackWith } from "./testing.ts";

describe("checkStreamMapping", () => {
  it("passes the stack as written: the consumer's task-change mapping is dedup's taskStreamMapping", async () => {
    expect(messages(checkStreamMapping(await stackWith()))).toEqual([]);
  });

  it("catches a mapping that drifted: batch size, bisection, the filter's statuses, the failure destination", async () => {
    const found = messages(checkStreamMapping(await stackWith(["stream-mapping-drift_override.tf", ""])));
    const where = "root: aws_lambda_event_source_mapping.task_changes";
    expect(found).toEqual([
      `${where}: batch_size = 10, dedup's taskStreamMapping says 1000`,
      `${where}: bisect_batch_on_function_error = true, dedup's taskStreamMapping says false`,
      expect.stringMatching(
        new RegExp(`^${where}: filter patterns .*RUNNING.*, dedup's taskStreamMapping says`),
      ),
      `${where}: on_failure must send to module.queue.stream_failures_queue_arn`,
    ]);
  });
});
