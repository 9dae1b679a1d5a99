import { receivedMessage } from "@fanout/queue/testing";
import { describe, expect, it } from "vitest";
import { parseFailedRecord } from "./failed-records.ts";

/** The shape Lambda's on-failure destination sends (see packages/local-lambda/src/destinations.ts). */
const record = (requestPayload: unknown) => ({
  version: "1.0",
  timestamp: "2026-01-01T00:00:00.000Z",
  requestContext: {
    requestId: "req-1",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:fanout-worker:$LATEST",
    condition: "RetriesExhausted",
    approximateInvokeCount: 3,
  },
  requestPayload,
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  responsePayload: { errorType: "TypeError", errorMessage: "no such host", trace: [] },
});

describe("parseFailedRecord", () => {
  it("reads the task, its taskId and the last error from an on-failure record", () => {
    const parsed = parseFailedRecord(receivedMessage(record({ v: 1, jobId: "j-1", index: 7, name: "x\ny" })));
    expect(parsed).toMatchObject({
      taskId: "j-1#7",
      task: { v: 1, jobId: "j-1", index: 7, name: "x\ny" },
      errorType: "TypeError",
      errorMessage: "no such host",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
      problem: undefined,
    });
  });

  it("marks a record whose payload is not a task as not redrivable, with the reason", () => {
    const parsed = parseFailedRecord(receivedMessage(record({ name: "seed-style" })));
    expect(parsed.task).toBeUndefined();
    expect(parsed.problem).toMatch(/invalid requestPayload/);
    expect(parsed.errorType).toBe("TypeError");
  });

  it("marks a message that is not an on-failure record", () => {
    expect(parseFailedRecord(receivedMessage("not json")).problem).toMatch(/not JSON/);
    expect(parseFailedRecord(receivedMessage([1, 2])).problem).toMatch(/not an on-failure record/);
  });
});
