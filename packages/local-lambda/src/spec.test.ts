import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InvalidFunctionSpecError } from "./errors.ts";
import { validateSpec } from "./spec.ts";
import type { FunctionSpec } from "./types.ts";

const base: FunctionSpec = {
  name: "worker",
  codeDir: fileURLToPath(new URL("../e2e/fixtures/behaviours", import.meta.url)),
  handler: "index.handler",
  memoryMb: 128,
  timeoutSeconds: 3,
};

describe("validateSpec", () => {
  it("fills in Lambda's async defaults (2 retries, 6 hours)", () => {
    expect(validateSpec(base).async).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 });
  });

  it.each<[string, Partial<FunctionSpec>]>([
    ["memory below 128 MB", { memoryMb: 64 }],
    ["timeout above 900 s", { timeoutSeconds: 901 }],
    ["negative reserved concurrency", { reservedConcurrency: -1 }],
    ["3 retries", { async: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 60 } }],
    ["event age below 60 s", { async: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 59 } }],
    ["a missing code directory", { codeDir: "/no/such/dir" }],
    ["a handler without an export", { handler: "index" }],
    ["a reserved environment variable", { environment: { AWS_REGION: "eu-west-1" } }],
    ["a bad function name", { name: "bad name" }],
  ])("rejects %s", (_what, change) => {
    expect(() => validateSpec({ ...base, ...change })).toThrow(InvalidFunctionSpecError);
  });
});
