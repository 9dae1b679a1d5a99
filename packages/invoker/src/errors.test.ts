import { describe, expect, it } from "vitest";
import { isAmbiguous, isRetryable } from "./errors.ts";

describe("isRetryable", () => {
  it("retries throttling and server faults", () => {
    expect(isRetryable({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isRetryable({ name: "ServiceException", $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isRetryable({ name: "Error", code: "ECONNRESET" })).toBe(true);
  });

  it("does not retry a missing function, a denied call or a bad payload", () => {
    expect(isRetryable({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } })).toBe(
      false,
    );
    expect(isRetryable({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isRetryable({ name: "InvalidRequestContentException", $metadata: { httpStatusCode: 400 } })).toBe(
      false,
    );
  });
});

describe("isAmbiguous", () => {
  it("cannot tell whether an event was queued when no HTTP answer came back", () => {
    expect(isAmbiguous({ name: "TimeoutError", $metadata: { attempts: 3 } })).toBe(true);
    expect(isAmbiguous({ name: "Error", code: "ECONNRESET" })).toBe(true);
  });

  it("knows the event was not queued when Lambda answered, or nothing was sent", () => {
    expect(isAmbiguous({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } })).toBe(false);
    expect(isAmbiguous({ name: "ServiceException", $metadata: { httpStatusCode: 500 } })).toBe(false);
    expect(isAmbiguous({ name: "Error", code: "ECONNREFUSED" })).toBe(false);
  });
});
