import { makePayloadTask, makeTask } from "@fanout/core";
import { describe, expect, it } from "vitest";
import { taskLabel, toEntry } from "./failed-list.ts";
import type { FailedRecord } from "./failed-records.ts";

const record = (task: FailedRecord["task"]): FailedRecord => ({
  messageId: "m-1",
  receiptHandle: "r-1",
  task,
  taskId: task ? `${task.jobId}#${task.index}` : undefined,
  requestId: "req-1",
  errorType: "Error",
  errorMessage: "boom",
  condition: "RetriesExhausted",
  approximateInvokeCount: 3,
  timestamp: undefined,
  problem: undefined,
});

describe("failed list rows", () => {
  it("show a seed task's name, and a tasks-format task's payload as JSON", () => {
    expect(taskLabel(makeTask("j", 0, "Name1"))).toBe("Name1");
    expect(taskLabel(makePayloadTask("j", 1, { n: 1, name: "x" }))).toBe('{"n":1,"name":"x"}');
    expect(taskLabel(makePayloadTask("j", 2, null))).toBe("null");
    expect(taskLabel(undefined)).toBeUndefined();
  });

  it("--json gives name for a seed task, and payload (name null) for a tasks-format task", () => {
    expect(toEntry(record(makeTask("j", 0, "Name1")))).toMatchObject({ name: "Name1", index: 0 });
    expect(toEntry(record(makeTask("j", 0, "Name1")))).not.toHaveProperty("payload");
    expect(toEntry(record(makePayloadTask("j", 1, [1, 2])))).toMatchObject({
      name: null,
      payload: [1, 2],
      taskId: "j#1",
    });
  });
});
