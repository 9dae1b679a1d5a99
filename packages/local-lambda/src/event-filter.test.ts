import { describe, expect, it } from "vitest";
import { matchesPattern, parseFilterPattern } from "./event-filter.ts";

const record = {
  eventName: "MODIFY",
  dynamodb: {
    Keys: { pk: { S: "TASK#job-1#7" } },
    NewImage: { status: { S: "SUCCEEDED" }, idx: { N: "7" }, finalFailure: { BOOL: false } },
  },
};
const matches = (pattern: unknown) => matchesPattern(parseFilterPattern(JSON.stringify(pattern)), record);

describe("Lambda event filter patterns", () => {
  it("matches nested keys by prefix, literal alternatives and booleans, all keys ANDed", () => {
    expect(matches({ dynamodb: { Keys: { pk: { S: [{ prefix: "TASK#" }] } } } })).toBe(true);
    expect(matches({ dynamodb: { Keys: { pk: { S: [{ prefix: "JOB#" }] } } } })).toBe(false);
    expect(matches({ dynamodb: { NewImage: { status: { S: ["FAILED", "SUCCEEDED"] } } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { finalFailure: { BOOL: [false] } } } })).toBe(true);
    expect(
      matches({
        eventName: ["INSERT", "MODIFY"],
        dynamodb: { NewImage: { status: { S: ["RUNNING"] } } },
      }),
    ).toBe(false);
  });

  it("tells present from absent with exists, and excludes with anything-but", () => {
    expect(matches({ dynamodb: { NewImage: { result: [{ exists: false }] } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { status: [{ exists: true }] } } })).toBe(true);
    expect(matches({ dynamodb: { OldImage: { status: [{ exists: true }] } } })).toBe(false);
    expect(matches({ dynamodb: { NewImage: { status: { S: [{ "anything-but": ["CLAIMED"] }] } } } })).toBe(
      true,
    );
    expect(matches({ dynamodb: { NewImage: { status: { S: [{ "anything-but": ["SUCCEEDED"] }] } } } })).toBe(
      false,
    );
    // A REMOVE record has no new image: a pattern on its fields does not match it.
    expect(
      matchesPattern(parseFilterPattern('{"dynamodb":{"NewImage":{"status":{"S":[{"prefix":""}]}}}}'), {
        eventName: "REMOVE",
        dynamodb: { Keys: {} },
      }),
    ).toBe(false);
  });

  it("refuses what it does not model, and text that is not JSON", () => {
    expect(() => parseFilterPattern('{"a":[{"numeric":[">",1]}]}')).toThrow(/not supported/);
    expect(() => parseFilterPattern('{"a":"SUCCEEDED"}')).toThrow(/not supported/);
    expect(() => parseFilterPattern('{"a":[]}')).toThrow(/not supported/);
    expect(() => parseFilterPattern("{")).toThrow(/not JSON/);
  });
});
