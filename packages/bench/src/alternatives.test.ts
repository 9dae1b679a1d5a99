import { describe, expect, it } from "vitest";
import { priceAlternatives } from "./alternatives.ts";

describe("priceAlternatives", () => {
  const ours = {
    requests: { "SQS.SendMessageBatch": 0.1 },
    dynamoWriteUnits: 3,
    dynamoReadUnits: 0.2,
    lambdaInvocations: 1.01,
    lambdaGbSeconds: 0.01,
  };
  const [fanout, esm, standard, express] = priceAlternatives({ ours, workerMs: 10, workerMemoryMb: 1024 });

  it("prices each design per million tasks from its requests, with hand-computed figures", () => {
    // 0.1 SQS request × $0.40 + 3 WRU × $0.625 + 0.2 RRU × $0.125 + 1.01 × $0.20 + 0.01 GB-s × $13.3334.
    expect(fanout?.perMillion.total).toBeCloseTo(0.04 + 1.875 + 0.025 + 0.202 + 0.133, 2);
    // 2.1 SQS requests, 2 writes (Powertools' INPROGRESS and COMPLETED), one invocation, the same worker.
    expect(esm?.perMillion).toMatchObject({ sqs: 0.84, dynamo: 1.25, lambdaRequests: 0.2, orchestration: 0 });
    expect(esm?.perMillion.total).toBeCloseTo(0.84 + 1.25 + 0.2 + 0.133, 2);
    // Two transitions a task at $0.025 per 1,000.
    expect(standard?.perMillion.orchestration).toBe(50);
    // One transition, one request, 100 ms at 64 MB: 0.00625 GB-s × $0.00001667 × 10^6.
    expect(express?.perMillion.orchestration).toBeCloseTo(25 + 1 + 0.104, 3);
  });

  it("bills an Express child's duration in 100 ms steps of the worker's run plus the invoke", () => {
    const slow = priceAlternatives({ ours, workerMs: 1_000, workerMemoryMb: 1024 })[3];
    // 1,030 ms rounds up to 1,100 ms: 0.06875 GB-s.
    expect(slow?.perMillion.orchestration).toBeCloseTo(26 + 0.06875 * 16.67, 2);
  });

  it("adds the original sample's measured figures when given", () => {
    const names = priceAlternatives({ ours, original: ours, workerMs: 10, workerMemoryMb: 1024 }).map(
      (a) => a.name,
    );
    expect(names).toContain("original sample (measured)");
    expect(names).toHaveLength(5);
  });
});
