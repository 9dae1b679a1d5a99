import { describe, expect, it } from "vitest";
import { buildInvocationRecord, endpointOf } from "./destinations.ts";

describe("buildInvocationRecord", () => {
  const common = {
    requestId: "r-1",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:w",
    payload: '{"task":1}',
    now: new Date("2026-01-02T03:04:05.678Z"),
  };

  it("describes a function error after retries in AWS's record shape", () => {
    const record = buildInvocationRecord({
      ...common,
      condition: "RetriesExhausted",
      invokeCount: 3,
      lastResult: {
        kind: "error",
        error: { errorType: "Error", errorMessage: "boom", trace: ["Error: boom"] },
      },
    });
    expect(record).toEqual({
      version: "1.0",
      timestamp: "2026-01-02T03:04:05.678Z",
      requestContext: {
        requestId: "r-1",
        functionArn: "arn:aws:lambda:us-east-1:000000000000:function:w:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { task: 1 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Error", errorMessage: "boom", trace: ["Error: boom"] },
    });
  });

  it("marks an event that never ran with statusCode 429 and no response payload", () => {
    const record = buildInvocationRecord({
      ...common,
      condition: "EventAgeExceeded",
      invokeCount: 0,
      lastResult: undefined,
    });
    expect(record.responseContext).toEqual({ statusCode: 429, executedVersion: "$LATEST" });
    expect(record).not.toHaveProperty("responsePayload");
  });
});

describe("endpointOf", () => {
  it("reaches an emulator's *.localhost queue URL on 127.0.0.1", () => {
    expect(endpointOf("http://sqs.us-east-1.localhost:9324/000000000000/q")).toBe("http://127.0.0.1:9324");
    expect(endpointOf("https://sqs.eu-west-1.amazonaws.com/123456789012/q")).toBe(
      "https://sqs.eu-west-1.amazonaws.com",
    );
  });
});
