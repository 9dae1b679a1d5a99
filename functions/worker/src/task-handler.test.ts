import { createLogger, makeTask } from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { describe, expect, it } from "vitest";
import { referenceTaskHandler } from "./task-handler.ts";

const context = () => ({
  logger: createLogger("task-handler-test"),
  lambda: testContext(),
  attempt: 1,
  signal: new AbortController().signal,
});

describe("referenceTaskHandler", () => {
  it("never fails on purpose at fail rate 0", async () => {
    const handler = referenceTaskHandler({ failRate: 0 });
    for (let i = 0; i < 20; i++)
      await expect(handler(makeTask("j", i, "x"), context())).resolves.toBeUndefined();
  });

  it("fails every run on purpose at fail rate 1", async () => {
    const handler = referenceTaskHandler({ failRate: 1 });
    await expect(handler(makeTask("j", 0, "x"), context())).rejects.toThrow(
      /simulated failure \(WORKER_FAIL_RATE=1\)/,
    );
  });
});
