import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListQueuesCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { startDynamo } from "./dynamo.ts";
import { startSqs } from "./sqs.ts";
import { dynamoClient, sqsClient } from "./test-clients.ts";

/** Wall time of `n` calls made at once, after one warm-up call (connection set up). */
async function timeParallel(call: () => Promise<unknown>, n: number): Promise<number> {
  await call();
  const t = performance.now();
  await Promise.all(Array.from({ length: n }, call));
  return performance.now() - t;
}

/** Large enough that "one round trip" and "ten in a row" stay seconds apart on a busy 2-core machine. */
const delayMs = 400;

describe("latencyMs", () => {
  it("delays every SQS and DynamoDB request by the fixed amount, each independently", async () => {
    const [fastSqs, slowSqs, fastDb, slowDb] = await Promise.all([
      startSqs(),
      startSqs({ latencyMs: delayMs }),
      startDynamo(),
      startDynamo({ latencyMs: delayMs }),
    ]);
    const clients = [fastSqs, slowSqs].map((e) => sqsClient(e.endpoint));
    const dbs = [fastDb, slowDb].map((e) => dynamoClient(e.endpoint));
    try {
      const [fast, slow] = clients.map((c) => () => c.send(new ListQueuesCommand({})));
      const [dbFast, dbSlow] = dbs.map((c) => () => c.send(new ListTablesCommand({})));
      if (!fast || !slow || !dbFast || !dbSlow) throw new Error("clients missing");
      // Timers never fire early, so a delayed call takes at least the delay; an undelayed one is quicker.
      const [sqsFast, sqsSlow] = [await timeParallel(fast, 1), await timeParallel(slow, 1)];
      const [dynamoFast, dynamoSlow] = [await timeParallel(dbFast, 1), await timeParallel(dbSlow, 1)];
      expect(sqsSlow).toBeGreaterThanOrEqual(delayMs - 1);
      expect(dynamoSlow).toBeGreaterThanOrEqual(delayMs - 1);
      expect(sqsFast).toBeLessThan(sqsSlow);
      expect(dynamoFast).toBeLessThan(dynamoSlow);
      // Ten at once still take one round trip, not ten: the delay models the network, not a queue. (Ten in a
      // row would take 4 s; the margin of seconds is for a busy machine.)
      expect(await timeParallel(slow, 10)).toBeLessThan(10 * delayMs);
      expect(await timeParallel(dbSlow, 10)).toBeLessThan(10 * delayMs);
    } finally {
      for (const c of [...clients, ...dbs]) c.destroy();
      await Promise.all([fastSqs, slowSqs, fastDb, slowDb].map((e) => e.stop()));
    }
  }, 60_000);
});
