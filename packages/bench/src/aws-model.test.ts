import { describe, expect, it } from "vitest";
import { type AwsModelInput, awsConsumerRate, awsQuotas, modelAwsJob } from "./aws-model.ts";

const input: AwsModelInput = {
  tasks: 1_000_000,
  consumers: [1, 8],
  perConsumerRate: 500,
  perConsumerRateFrom: "test",
  inFlightPerConsumer: 72,
  requestsPerTask: { "SQS.ReceiveMessage": 0.1, "DynamoDB.UpdateItem": 5, "Lambda.Invoke": 1 },
  writeUnitsPerTask: 5,
  readUnitsPerTask: 1,
  hotItemReadsPerTask: 1,
  workerMs: 100,
  workerMemoryMb: 256,
  consumerMemoryMb: 1769,
};

describe("modelAwsJob", () => {
  const [one, eight] = modelAwsJob(input);

  it("lets one consumer run at its own rate when no quota binds", () => {
    expect(one?.rate).toBe(500);
    expect(one?.limitedBy).toBe("consumers");
    // 1,000,000 / 500 = 2,000 s, plus half of a 0.5 s ramp (50 workers at once, 1,000 per 10 s).
    expect(one?.workerConcurrency).toBe(50);
    expect(one?.dispatchSeconds).toBeCloseTo(2_000.25, 6);
    expect(one?.newTableThrottles).toBe(false);
  });

  it("caps eight consumers at the job record's read units: one item, one partition, 3,000 RCU/s", () => {
    expect(eight?.demandRate).toBe(4_000);
    expect(eight?.rate).toBe(3_000);
    expect(eight?.limitedBy).toBe("DynamoDB hot item (job record) RCU");
    expect(eight?.newTableThrottles).toBe(true); // 3,000 × 5 WRU > 4,000
    expect(eight?.caps["Lambda concurrency"]).toBe(9_920); // (1,000 - 8) / 0.1 s
  });

  it("binds on Lambda concurrency when workers run long", () => {
    const [s] = modelAwsJob({ ...input, consumers: [8], workerMs: 1_000, hotItemReadsPerTask: 0 });
    expect(s?.limitedBy).toBe("Lambda concurrency");
    expect(s?.rate).toBe(992);
  });

  it("binds on SQS in-flight messages when too many runs hold messages", () => {
    const [s] = modelAwsJob({ ...input, consumers: [100], perConsumerRate: 10, inFlightPerConsumer: 2_000 });
    expect(s?.inFlight).toBe(200_000);
    expect(s?.limitedBy).toBe("SQS in-flight messages");
    expect(s?.rate).toBe(600); // 60 runs × 10/s
  });

  it("prices the job from the dated table: requests, units and GB-seconds of workers and consumers", () => {
    // SQS 0.1 × 0.4 = 0.04; DynamoDB 5 × 0.625 + 1 × 0.125 = 3.25; Lambda requests 0.2;
    // worker 0.1 s × 0.25 GB × 1e6 × 0.0000133334 = 0.333; one consumer 2,000.25 s × 1.7275 GB × 0.0000133334 = 0.046.
    expect(one?.costPerJob.sqs).toBe(0.04);
    expect(one?.costPerJob.dynamo).toBe(3.25);
    expect(one?.costPerJob.lambdaRequests).toBe(0.2);
    expect(one?.costPerJob.lambdaCompute).toBe(0.38);
    expect(one?.costPerJob.total).toBe(3.87);
  });

  it("cites an AWS documentation page for every quota", () => {
    for (const q of Object.values(awsQuotas)) expect(q.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });
});

describe("awsConsumerRate", () => {
  it("scales a latency-bound rate by the latency ratio", () => {
    expect(awsConsumerRate({ rateAtLatency: 90, measuredLatencyMs: 100, awsLatencyMs: 10 }).rate).toBe(900);
  });

  it("never exceeds the CPU-bound rate measured at 0 ms", () => {
    const r = awsConsumerRate({
      rateAtLatency: 90,
      measuredLatencyMs: 100,
      awsLatencyMs: 10,
      rateAtZeroMs: 600,
    });
    expect(r.rate).toBe(600);
    expect(r.from).toContain("CPU-bound");
  });
});
