import { encodeTask, makeTask, parseTask } from "@fanout/core";
import { hostileNames } from "@fanout/core/testing";
import { createFreshQueue, startLocalResources } from "@fanout/emulators";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqsClient } from "./client.ts";
import { deleteMessages } from "./delete.ts";
import { receiveMessages } from "./receive.ts";
import { sendMessages } from "./send.ts";
import { changeVisibility } from "./visibility.ts";

let local: Awaited<ReturnType<typeof startLocalResources>>;
let sqs: ReturnType<typeof createSqsClient>;
let queueUrl: string;
// Generous hook and test timeouts: turbo runs every package's tests at once on a 2-core machine, where a
// test that takes 1.3 s alone took over 5 s (vitest's default timeout).
beforeAll(async () => {
  local = await startLocalResources();
  Object.assign(process.env, local.env());
  sqs = createSqsClient();
}, 60_000);
afterAll(() => local.stop());
// Every test gets its own queue: a test that times out cannot leave messages for the next one.
beforeEach(async () => {
  queueUrl = (await createFreshQueue(local.sqsEndpoint, { prefix: "queue-test" })).queueUrl;
}, 30_000);

async function drainAll() {
  const got: Awaited<ReturnType<typeof receiveMessages>> = [];
  for (;;) {
    const batch = await receiveMessages(sqs, queueUrl, { waitSeconds: 0 });
    if (batch.length === 0) return got;
    got.push(...batch);
    await deleteMessages(
      sqs,
      queueUrl,
      batch.map((m) => m.receiptHandle),
    );
  }
}

describe("queue", () => {
  it("sends hostile names that arrive byte-identical", async () => {
    const names = hostileNames();
    const messages = names.map((name, i) => ({ id: String(i), body: encodeTask(makeTask("j", i, name)) }));
    expect(await sendMessages(sqs, queueUrl, messages)).toEqual({ sent: names.length, failed: [] });
    const got = await drainAll();
    const byIndex = new Map(
      got.map((m) => {
        const task = parseTask(m.body);
        return [task.index, task.v === 1 ? task.name : undefined];
      }),
    );
    expect(byIndex.size).toBe(names.length);
    names.forEach((name, i) => {
      expect(Buffer.from(byIndex.get(i) ?? "", "utf8").equals(Buffer.from(name, "utf8"))).toBe(true);
    });
  }, 60_000);

  it("sends 1,000 messages in batches and receives each once", async () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ id: String(i), body: `m${i}` }));
    expect((await sendMessages(sqs, queueUrl, messages)).sent).toBe(1000);
    const bodies = (await drainAll()).map((m) => m.body);
    expect(new Set(bodies).size).toBe(1000);
  }, 120_000);

  it("reports the receive count, which grows on redelivery", async () => {
    await sendMessages(sqs, queueUrl, [{ id: "0", body: "again" }]);
    const [first] = await receiveMessages(sqs, queueUrl, { waitSeconds: 1 });
    expect(first?.receiveCount).toBe(1);
    await changeVisibility(sqs, queueUrl, [{ receiptHandle: first?.receiptHandle ?? "", seconds: 0 }]);
    const [second] = await receiveMessages(sqs, queueUrl, { waitSeconds: 1 });
    expect(second?.receiveCount).toBe(2);
    await deleteMessages(sqs, queueUrl, [second?.receiptHandle ?? ""]);
  }, 30_000);

  it("reports a delete that failed instead of throwing", async () => {
    const result = await deleteMessages(sqs, queueUrl, ["not-a-receipt-handle"], { retries: 0 });
    expect(result.deleted).toBe(0);
    expect(result.failed).toHaveLength(1);
  }, 30_000);
});
