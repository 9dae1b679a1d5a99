import { createLogger } from "@fanout/core";
import { receivedMessage } from "@fanout/queue/testing";
import { describe, expect, it } from "vitest";
import { type DispatchDeps, dispatchMessage } from "./dispatch.ts";

// Any AWS call fails the test: a malformed body must be refused before the store or Lambda is touched.
const untouchable = new Proxy(
  {},
  {
    get: () => {
      throw new Error("AWS must not be called");
    },
  },
);
const deps = {
  lambda: untouchable,
  store: { client: untouchable, tableName: "t", now: Date.now, ttlSeconds: 60 },
  workerFunctionName: "w",
  leaseSeconds: 30,
  owner: "o",
  logger: createLogger("consumer-test"),
} as unknown as DispatchDeps;

describe("dispatchMessage", () => {
  it.each(["not json", '{"name":"seed format"}', '{"v":1,"jobId":"j","index":-1,"name":"x"}'])(
    "never dispatches the malformed body %s and returns it to the queue at once",
    async (body) => {
      const verdict = await dispatchMessage(receivedMessage(body), deps);
      expect(verdict).toEqual({ kind: "invalid", delete: false, retryInSeconds: 0 });
    },
  );
});
