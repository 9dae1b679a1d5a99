import { SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { sendMessages } from "./send.ts";

/**
 * Partial batch failures cannot be produced by the emulator, so these tests answer SendMessageBatch from
 * an SDK middleware (the one place the project fakes the SDK: faults a server cannot produce).
 */
function faultyClient(failures: (attempt: number, ids: string[]) => { id: string; senderFault: boolean }[]) {
  const client = new SQSClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  });
  const seen: string[][] = [];
  client.middlewareStack.add(
    () => async (args) => {
      const input = (args.input as { Entries: { Id: string; MessageBody: string }[] }).Entries;
      seen.push(input.map((e) => e.MessageBody));
      const failed = failures(
        seen.length,
        input.map((e) => e.Id),
      );
      const failedIds = new Set(failed.map((f) => f.id));
      return {
        output: {
          $metadata: {},
          Successful: input
            .filter((e) => !failedIds.has(e.Id))
            .map((e) => ({ Id: e.Id, MessageId: "m", MD5OfMessageBody: "" })),
          Failed: failed.map((f) => ({
            Id: f.id,
            Code: f.senderFault ? "InvalidMessageContents" : "InternalError",
            SenderFault: f.senderFault,
            Message: "x",
          })),
        },
        response: {},
      } as never;
    },
    { step: "initialize", name: "fault" },
  );
  return { client, seen };
}

describe("sendMessages with failing entries", () => {
  it("retries entries that failed on the server until they are sent", async () => {
    const { client, seen } = faultyClient((attempt, ids) =>
      attempt <= 2 ? [{ id: ids[0] ?? "0", senderFault: false }] : [],
    );
    const messages = Array.from({ length: 3 }, (_, i) => ({ id: `t${i}`, body: `b${i}` }));
    const result = await sendMessages(client, "http://q", messages, { minDelayMs: 1 });
    expect(result).toEqual({ sent: 3, failed: [] });
    expect(seen).toEqual([["b0", "b1", "b2"], ["b0"], ["b0"]]);
  });

  it("reports entries that keep failing, and sender faults at once, never dropping them", async () => {
    const { client, seen } = faultyClient((_attempt, ids) =>
      ids.map((id) => ({ id, senderFault: id === "1" && ids.length === 3 })),
    );
    const messages = Array.from({ length: 3 }, (_, i) => ({ id: `t${i}`, body: `b${i}` }));
    const result = await sendMessages(client, "http://q", messages, { minDelayMs: 1, retries: 2 });
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.id).sort()).toEqual(["t0", "t1", "t2"]);
    expect(result.failed.find((f) => f.id === "t1")?.senderFault).toBe(true);
    expect(seen).toHaveLength(3); // 1 try + 2 retries, without the sender fault after the first
    expect(seen[1]).toEqual(["b0", "b2"]);
  });
});
