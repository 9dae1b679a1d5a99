import { describe, expect, it } from "vitest";
import { startLocalLambda } from "./service.ts";

async function timedInvoke(url: string): Promise<{ ms: number; status: number }> {
  const t = performance.now();
  const res = await fetch(`${url}/2015-03-31/functions/missing/invocations`, { method: "POST", body: "{}" });
  await res.arrayBuffer();
  return { ms: performance.now() - t, status: res.status };
}

const delayMs = 400;

describe("latencyMs", () => {
  it("delays every Invoke API request by the fixed amount", async () => {
    const [fast, slow] = await Promise.all([
      startLocalLambda({ port: 0, functions: [], logDir: null, output: null }),
      startLocalLambda({ port: 0, functions: [], logDir: null, output: null, latencyMs: delayMs }),
    ]);
    try {
      await timedInvoke(fast.url);
      const quick = await timedInvoke(fast.url);
      const delayed = await timedInvoke(slow.url);
      expect(quick).toMatchObject({ status: 404 });
      expect(delayed).toMatchObject({ status: 404 });
      expect(delayed.ms).toBeGreaterThanOrEqual(delayMs - 1);
      expect(quick.ms).toBeLessThan(delayed.ms);
      const t = performance.now();
      await Promise.all(Array.from({ length: 10 }, () => timedInvoke(slow.url)));
      // Ten at once take one round trip, not ten in a row (4 s): seconds of margin for a busy machine.
      expect(performance.now() - t).toBeLessThan(10 * delayMs);
    } finally {
      await Promise.all([fast.stop(), slow.stop()]);
    }
  }, 60_000);
});
