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
    const handler = referenceTaskHandler({ failRate: 0, resultMaxBytes: 65_536 });
    for (let i = 0; i < 20; i++)
      await expect(handler(seedTask(`x${i}`), context())).resolves.toEqual({ received: { name: `x${i}` } });
  });

  it("returns any task's payload as its result", async () => {
    const handler = referenceTaskHandler({ failRate: 0, resultMaxBytes: 65_536 });
    const task = { ...seedTask(""), payload: [1, { a: null }], seed: false };
    await expect(handler(task, context())).resolves.toEqual({ received: [1, { a: null }] });
  });

  it("returns a digest instead of a seed task's name too large to echo within the result limit", async () => {
    const handler = referenceTaskHandler({ failRate: 0, resultMaxBytes: 150 });
    const name = "x".repeat(200);
    const result = (await handler(seedTask(name), context())) as {
      received: { bytes: number; sha256: string };
    };
    expect(result.received.bytes).toBe(JSON.stringify({ name }).length);
    expect(result.received.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(result).length).toBeLessThanOrEqual(150);
    // A tasks-format payload is echoed whatever its size: the wrapper fails a result over the limit.
    const big = { ...seedTask(""), payload: { blob: name }, seed: false };
    await expect(handler(big, context())).resolves.toEqual({ received: { blob: name } });
  });

  it("fails every run on purpose at fail rate 1", async () => {
    const handler = referenceTaskHandler({ failRate: 1, resultMaxBytes: 65_536 });
    await expect(handler(seedTask("x"), context())).rejects.toThrow(
      /simulated failure \(WORKER_FAIL_RATE=1\)/,
    );
  });
});
