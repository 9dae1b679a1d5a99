import { describe, expect, it } from "vitest";
import { costPerMillion, gbSeconds, serviceRequests } from "./cost.ts";
import { prices } from "./prices.ts";

describe("cost per million tasks", () => {
  it("prices each dimension from the dated table", () => {
    expect(prices.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const cost = costPerMillion({
      requests: {
        "SQS.SendMessageBatch": 0.1,
        "SQS.ReceiveMessage": 0.1,
        "DynamoDB.UpdateItem": 5,
        "Lambda.Invoke": 1,
      },
      dynamoWriteUnits: 5,
      dynamoReadUnits: 2,
      lambdaInvocations: 1.1,
      lambdaGbSeconds: gbSeconds(100, 1024),
    });
    // 0.2 SQS requests × $0.40; 5 WRU × $0.625 + 2 RRU × $0.125; 1.1 × $0.20; 0.1 GB-s × 1e6 × $0.0000133334
    expect(cost).toEqual({
      sqs: 0.08,
      dynamo: 3.375,
      lambdaRequests: 0.22,
      lambdaCompute: 1.333,
      total: 5.008,
    });
  });

  it("sums requests of one service and converts milliseconds at a memory size to GB-seconds", () => {
    expect(serviceRequests({ "SQS.A": 1, "SQS.B": 2, "DynamoDB.A": 4 }, "SQS")).toBe(3);
    expect(gbSeconds(1000, 512)).toBe(0.5);
  });
});
