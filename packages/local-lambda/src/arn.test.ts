import { describe, expect, it } from "vitest";
import { functionArn, parseFunctionRef } from "./arn.ts";
import { InvalidParameterValueError } from "./errors.ts";

describe("parseFunctionRef", () => {
  it.each([
    ["worker", null, { name: "worker", qualifier: undefined }],
    ["worker:$LATEST", null, { name: "worker", qualifier: "$LATEST" }],
    ["worker", "$LATEST", { name: "worker", qualifier: "$LATEST" }],
    ["123456789012:function:worker", null, { name: "worker", qualifier: undefined }],
    ["arn:aws:lambda:eu-west-1:123456789012:function:worker", null, { name: "worker", qualifier: undefined }],
    [
      "arn:aws:lambda:eu-west-1:123456789012:function:worker:live",
      null,
      { name: "worker", qualifier: "live" },
    ],
  ])("reads %s (Qualifier %s)", (raw, qualifier, expected) => {
    expect(parseFunctionRef(raw, qualifier)).toEqual(expected);
  });

  it("refuses a qualifier in the name that contradicts the Qualifier parameter", () => {
    expect(() => parseFunctionRef("worker:$LATEST", "live")).toThrow(InvalidParameterValueError);
  });

  it("refuses names Lambda's pattern does not allow", () => {
    expect(() => parseFunctionRef("has space", null)).toThrow(InvalidParameterValueError);
    expect(() => parseFunctionRef("x".repeat(65), null)).toThrow(InvalidParameterValueError);
  });
});

describe("functionArn", () => {
  it("builds unqualified and qualified ARNs", () => {
    expect(functionArn("us-east-1", "000000000000", "w")).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:w",
    );
    expect(functionArn("us-east-1", "000000000000", "w", "$LATEST")).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:w:$LATEST",
    );
  });
});
