import { createHash, randomUUID } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { parseSettings } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulators, startEmulators } from "./emulators.ts";
import { createResources, type FanoutResources } from "./resources.ts";
import { rejection, sqsClient } from "./test-clients.ts";

// Conformance: the SQS behaviour fanout relies on, checked against the emulator over the AWS wire protocol.
let emulators: RunningEmulators;
let sqs: SQSClient;
let resources: FanoutResources;

beforeAll(async () => {
  emulators = await startEmulators();
  sqs = sqsClient(emulators.sqsEndpoint);
  resources = await createResources({
    settings: parseSettings({ queue: { max_receive_count: 2 } }),
    sqsEndpoint: emulators.sqsEndpoint,
    dynamoEndpoint: emulators.dynamoEndpoint,
  });
});
afterAll(async () => {
  sqs?.destroy();
  await emulators?.stop();
});

async function newQueue(attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `q-${randomUUID()}`, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error("no QueueUrl");
  return QueueUrl;
}

async function receive(
  QueueUrl: string,
  extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {},
) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      ...extra,
    }),
  );
  return out.Messages ?? [];
}

async function counts(QueueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Attributes.ApproximateNumberOfMessages,
    inFlight: Attributes.ApproximateNumberOfMessagesNotVisible,
  };
}

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const receiveCount = (m: Message | undefined) => m?.Attributes?.ApproximateReceiveCount;

describe("SQS conformance (fauxqs)", () => {
  it("SendMessageBatch of 10 answers per entry", async () => {
    const url = await newQueue();
    const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: `body ${i}` }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    expect(out.Failed ?? []).toEqual([]);
    expect(out.Successful?.map((s) => s.Id).sort()).toEqual(entries.map((e) => e.Id).sort());
    for (const s of out.Successful ?? []) {
      expect(s.MessageId).toBeTruthy();
      expect(s.MD5OfMessageBody).toBe(md5(`body ${s.Id?.slice(1)}`));
    }
    // One bad entry fails alone, reported in Failed, not thrown.
    const mixed = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "ok", MessageBody: "fine" },
          { Id: "bad", MessageBody: "nul \u0000 is not allowed" },
        ],
      }),
    );
    expect(mixed.Successful?.map((s) => s.Id)).toEqual(["ok"]);
    expect(mixed.Failed).toEqual([
      expect.objectContaining({ Id: "bad", SenderFault: true, Code: "InvalidMessageContents" }),
    ]);
    // More than 10 entries is a request error.
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" }));
    const error = await rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: tooMany })));
    expect(error.name).toMatch(/TooManyEntriesInBatchRequest/);
    expect(await counts(url)).toEqual({ visible: "11", inFlight: "0" });
  });

  it("ApproximateReceiveCount via MessageSystemAttributeNames, incremented on redelivery", async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "count me" }));
    const [first] = await receive(url);
    expect(receiveCount(first)).toBe("1");
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [second] = await receive(url);
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(receiveCount(second)).toBe("2");
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
  });

  // "Before the wait ends" is checked against half of a 20 s wait: a margin of seconds for something that
  // takes milliseconds, so a busy machine cannot fail it, while an emulator that waits the full time does.
  it("a long poll returns as soon as a message arrives", async () => {
    const url = await newQueue();
    const started = performance.now();
    const polling = receive(url, { WaitTimeSeconds: 20 });
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake up" })), 300);
    const messages = await polling;
    const ms = performance.now() - started;
    expect(messages.map((m) => m.Body)).toEqual(["wake up"]);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(10_000);
  }, 30_000);

  it("an empty long poll waits WaitTimeSeconds, then returns no messages", async () => {
    const url = await newQueue();
    const started = performance.now();
    expect(await receive(url, { WaitTimeSeconds: 1 })).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("one message wakes one of several waiting long polls; the others wait their full WaitTimeSeconds", async () => {
    const url = await newQueue();
    const started = performance.now();
    const polls = Array.from({ length: 4 }, () =>
      receive(url, { WaitTimeSeconds: 2 }).then((messages) => ({
        messages,
        ms: performance.now() - started,
      })),
    );
    // Sent while the polls wait (if one had not started waiting yet, it simply takes the message at once).
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "just one" })), 300);
    const answers = await Promise.all(polls);
    const withMessage = answers.filter((a) => a.messages.length > 0);
    expect(withMessage.map((a) => a.messages.map((m) => m.Body))).toEqual([["just one"]]);
    const empty = answers.filter((a) => a.messages.length === 0);
    expect(empty).toHaveLength(3);
    // Lower bound only: an empty answer comes after the whole 2 s wait, never before (timers never fire early).
    for (const answer of empty) expect(answer.ms).toBeGreaterThanOrEqual(1_500);
  }, 30_000);

  it("a long poll longer than the visibility timeout returns at once and never repeats a message", async () => {
    const url = await newQueue({ VisibilityTimeout: "1" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "only once" }));
    const started = performance.now();
    const messages = await receive(url, { WaitTimeSeconds: 20 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(messages.map((m) => m.Body)).toEqual(["only once"]);
    const ids = messages.map((m) => m.MessageId);
    expect(new Set(ids).size).toBe(ids.length);
  }, 30_000);

  it("visibility timeout expiry redelivers the message", async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "come back" }));
    const [first] = await receive(url, { VisibilityTimeout: 1 });
    expect(first?.Body).toBe("come back");
    expect(await receive(url)).toEqual([]); // invisible now
    // The queue's own visibility timeout is 30 s: a message back within this 20 s poll came back after
    // the receive's 1 s, however slow the machine.
    const [again] = await receive(url, { WaitTimeSeconds: 20 });
    expect(again?.MessageId).toBe(first?.MessageId);
    expect(receiveCount(again)).toBe("2");
  }, 30_000);

  it("ChangeMessageVisibility(0) makes a message visible at once", async () => {
    const url = await newQueue({ VisibilityTimeout: "600" });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "release" }));
    const [first] = await receive(url);
    expect(await counts(url)).toEqual({ visible: "0", inFlight: "1" });
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [again] = await receive(url);
    expect(again?.MessageId).toBe(first?.MessageId);
  });

  it("DeleteMessageBatch reports a bad receipt handle in Failed, deletes the rest", async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "delete me" }));
    const [m] = await receive(url);
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "good", ReceiptHandle: m?.ReceiptHandle },
          { Id: "bad", ReceiptHandle: "not-a-receipt-handle" },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(["good"]);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: "bad", SenderFault: true })]);
    expect(out.Failed?.[0]?.Code).toMatch(/ReceiptHandleIsInvalid/);
    expect(await counts(url)).toEqual({ visible: "0", inFlight: "0" });
    // Only bad entries: still a per-entry answer. DeleteMessage with a bad handle throws.
    const allBad = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "x", ReceiptHandle: "garbage" }] }),
    );
    expect(allBad).toMatchObject({ Successful: [], Failed: [{ Id: "x", Code: "ReceiptHandleIsInvalid" }] });
    const thrown = await rejection(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "garbage" })),
    );
    expect(thrown.name).toBe("ReceiptHandleIsInvalid");
    // A stale but well-formed handle (already deleted) succeeds silently, as on SQS.
    const again = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: "y", ReceiptHandle: m?.ReceiptHandle }],
      }),
    );
    expect(again.Successful?.map((s) => s.Id)).toEqual(["y"]);
  });

  it("a message received maxReceiveCount times moves to the DLQ (RedrivePolicy from createResources)", async () => {
    const url = resources.tasksQueueUrl;
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "poison" }));
    for (const expected of ["1", "2"]) {
      const [m] = await receive(url);
      expect(receiveCount(m)).toBe(expected);
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: m?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    expect(await receive(url)).toEqual([]); // the third receive moves it instead of returning it
    const dead = await receive(resources.deadLetterQueueUrl);
    expect(dead.map((m) => m.Body)).toEqual(["poison"]);
  });

  it("bodies round-trip byte-identical, up to exactly 1 MiB", async () => {
    const url = await newQueue();
    const oneMiB = 1_048_576;
    const tail = "末尾😀"; // 3 + 3 + 4 bytes: the limit is counted in UTF-8 bytes
    const big = "x".repeat(oneMiB - Buffer.byteLength(tail)) + tail;
    expect(Buffer.byteLength(big)).toBe(oneMiB);
    const bodies = [
      `"double" and 'single' quotes`,
      "back\\slash and \\n \\u0000 written out",
      "line1\nline2\r\nline3\r",
      "tab\there\t",
      "emoji 😀🚀 and a family 👩‍👩‍👧",
      "日本語のテキスト、カタカナ、ひらがな",
      JSON.stringify({ q: '"', b: "\\", n: "\n", t: "\t", e: "🎉", j: "東京" }),
      " leading and trailing spaces ",
      big,
    ];
    for (const body of bodies) {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
      expect(sent.MD5OfMessageBody).toBe(md5(body));
    }
    const received: Message[] = [];
    while (received.length < bodies.length) {
      const batch = await receive(url);
      if (batch.length === 0) break;
      received.push(...batch);
    }
    expect(received).toHaveLength(bodies.length);
    for (const body of bodies) {
      const match = received.find((m) => m.Body === body);
      expect(match, `body of ${Buffer.byteLength(body)} bytes`).toBeDefined();
      expect(Buffer.from(match?.Body ?? "", "utf8").equals(Buffer.from(body, "utf8"))).toBe(true);
      expect(match?.MD5OfBody).toBe(md5(body));
    }
  });

  it("rejects what SQS rejects: a body over 1 MiB, NUL, a lone surrogate", async () => {
    const url = await newQueue();
    const tooBig = await rejection(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1_048_577) })),
    );
    expect(tooBig.name).toMatch(/InvalidParameterValue/);
    for (const body of ["nul\u0000", "lone \uD83D surrogate", "\uFFFF"]) {
      const error = await rejection(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body })));
      expect(error.name).toMatch(/InvalidMessageContents/);
    }
    // A whole batch may not exceed 1 MiB either.
    const half = "y".repeat(600_000);
    const batch = await rejection(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: "a", MessageBody: half },
            { Id: "b", MessageBody: half },
          ],
        }),
      ),
    );
    expect(batch.name).toMatch(/BatchRequestTooLong/);
  });

  it("ApproximateNumberOfMessages and ...NotVisible follow sends, receives and deletes", async () => {
    const url = await newQueue();
    expect(await counts(url)).toEqual({ visible: "0", inFlight: "0" });
    const entries = ["a", "b", "c"].map((Id) => ({ Id, MessageBody: Id }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    expect(await counts(url)).toEqual({ visible: "3", inFlight: "0" });
    const [m] = await receive(url, { MaxNumberOfMessages: 1 });
    expect(await counts(url)).toEqual({ visible: "2", inFlight: "1" });
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: "1", ReceiptHandle: m?.ReceiptHandle }],
      }),
    );
    expect(await counts(url)).toEqual({ visible: "2", inFlight: "0" });
  });
});
