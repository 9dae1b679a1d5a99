import { describe, expect, it } from "vitest";
import { CliError, describeError } from "./errors.ts";

describe("describeError", () => {
  it("turns a refused connection into one line that says what to check", () => {
    const error = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const line = describeError(error);
    expect(line).toMatch(/cannot reach the AWS endpoint \(ECONNREFUSED/);
    expect(line).toMatch(/local stack running/);
    expect(line).not.toMatch(/\n/);
  });

  it("finds a connection error inside the SDK's cause chain", () => {
    const inner = Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    expect(describeError(new Error("socket hang up", { cause: inner }))).toMatch(/cannot reach/);
  });

  it("names missing credentials and a missing region with the settings to fix them", () => {
    const credentials = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(describeError(credentials)).toMatch(/no AWS credentials .*AWS_PROFILE/);
    expect(describeError(new Error("Region is missing"))).toMatch(/AWS_REGION/);
  });

  it("keeps a multi-line message on one line and shows the error type", () => {
    const error = Object.assign(new Error("first\nsecond"), { name: "ServiceException" });
    expect(describeError(error)).toBe("ServiceException: first second");
    expect(describeError(new CliError("as is"))).toBe("as is");
  });
});
