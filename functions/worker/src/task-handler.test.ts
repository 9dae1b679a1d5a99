import { createLogger } from "@fanout/core";
import { testContext } from "@fanout/core/testing";
import { describe, expect, it } from "vitest";
import { referenceTaskHandler } from "./task-handler.ts";

const context = () => ({
  logger: createLogger("task-handler-test"),
  lambda: testContext(),
  attempt: 1,
  signal: new AbortController().signal,
});

const seedTask = (name: string) => ({
  jobId: "j",
  index: 0,
  taskId: "j#0",
  epoch: 1,
  payload: { name },
  seed: true,
});

describe("referenceTaskHandler", () => {
  it("never fails on purpose at fail rate 0", async () => {
    const handler = referenceTaskHandler({ failRate: 0 });
    for (let i = 0; i < 20; i++)
      await expect(handler(seedTask(`x${i}`), context())).resolves.toEqual({ received: { name: `x${i}` } });
  });

  it("returns any task's payload as its result", async () => {
    const handler = referenceTaskHandler({ failRate: 0 });
    const task = { ...seedTask(""), payload: [1, { a: null }], seed: false };
    await expect(handler(task, context())).resolves.toEqual({ received: [1, { a: null }] });
  });

  it("fails every run on purpose at fail rate 1", async () => {
    const handler = referenceTaskHandler({ failRate: 1 });
    await expect(handler(seedTask("x"), context())).rejects.toThrow(
      /simulated failure \(WORKER_FAIL_RATE=1\)/,
    );
  });
});
