import { createHash } from "node:crypto";
import { jsonError } from "./dynamo.ts";
import type { Answer, Request, Service } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { World } from "./world.ts";

interface Message {
  id: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
  /** Only the newest receipt handle deletes the message (SQS: an older one "might not"). */
  receipt: string | undefined;
  sentAt: number;
}

export interface SimQueue {
  name: string;
  url: string;
  visibilityTimeoutSeconds: number;
  redrive?: { deadLetterUrl: string; maxReceiveCount: number };
  messages: Map<string, Message>;
  /** Every body ever sent to the queue, in order (for the checks). */
  sentLog: string[];
}

interface Waiter {
  queue: SimQueue;
  max: number;
  visibility: number;
  resolve: (a: Answer) => void;
  timer: ReturnType<typeof setTimeout>;
}

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const ok = (body: unknown): Answer => ({ status: 200, body: JSON.stringify(body) });

/**
 * SQS standard queues as documented: at-least-once (a message in flight can be handed out again), best-
 * effort order, visibility timeouts on the virtual clock, long polls that wait their full time when empty,
 * receive counts, and redrive to a dead-letter queue after `maxReceiveCount` receives.
 */
export class SqsModel implements Service {
  readonly name = "sqs" as const;
  readonly queues = new Map<string, SimQueue>();
  private readonly waiters = new Set<Waiter>();
  private nextId = 0;

  private readonly world: World;
  private readonly prng: Prng;
  /** Whether this receive also hands out a message that is in flight (SQS's at-least-once delivery). */
  private readonly duplicate: () => boolean;

  constructor(world: World, prng: Prng, duplicate: () => boolean) {
    this.world = world;
    this.prng = prng;
    this.duplicate = duplicate;
  }

  createQueue(
    name: string,
    options: { visibilityTimeoutSeconds: number; redrive?: SimQueue["redrive"] },
  ): SimQueue {
    const url = `http://sqs.sim/000000000000/${name}`;
    const queue: SimQueue = {
      name,
      url,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      ...(options.redrive ? { redrive: options.redrive } : {}),
      messages: new Map(),
      sentLog: [],
    };
    this.queues.set(url, queue);
    return queue;
  }

  /** Puts a message straight into a queue (Lambda's destinations, test set-up). */
  put(url: string, body: string, delaySeconds = 0): string {
    const queue = this.queue(url);
    const id = `m-${this.nextId++}`;
    queue.messages.set(id, {
      id,
      body,
      receiveCount: 0,
      visibleAt: this.world.now() + delaySeconds * 1000,
      receipt: undefined,
      sentAt: this.world.now(),
    });
    queue.sentLog.push(body);
    this.wake(queue, delaySeconds * 1000);
    return id;
  }

  /** Messages now in a queue (in flight or not). */
  bodies(url: string): string[] {
    return [...this.queue(url).messages.values()].map((m) => m.body);
  }

  /** True when no message is in flight or waiting anywhere but the listed queues. */
  empty(url: string): boolean {
    return this.queue(url).messages.size === 0;
  }

  errorAnswer(kind: "throttle" | "server"): Answer {
    return kind === "throttle"
      ? jsonError(400, "com.amazonaws.sqs#RequestThrottled", "Request is throttled.", {
          "x-amzn-query-error": "RequestThrottled;Sender",
        })
      : jsonError(500, "com.amazonaws.sqs#InternalError", "We encountered an internal error.", {
          "x-amzn-query-error": "InternalError;Receiver",
        });
  }

  async serve(request: Request): Promise<Answer> {
    const input = JSON.parse(request.body || "{}") as Record<string, unknown>;
    const queueUrl = String(input.QueueUrl ?? "");
    if (request.operation !== "GetQueueUrl" && !this.queues.has(queueUrl)) {
      return jsonError(400, "com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.", {
        "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender",
      });
    }
    switch (request.operation) {
      case "GetQueueUrl": {
        const queue = [...this.queues.values()].find((q) => q.name === input.QueueName);
        if (!queue)
          return jsonError(
            400,
            "com.amazonaws.sqs#QueueDoesNotExist",
            "The specified queue does not exist.",
            {
              "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender",
            },
          );
        return ok({ QueueUrl: queue.url });
      }
      case "SendMessage": {
        const body = String(input.MessageBody);
        const id = this.put(queueUrl, body, Number(input.DelaySeconds ?? 0));
        return ok({ MessageId: id, MD5OfMessageBody: md5(body) });
      }
      case "SendMessageBatch": {
        const entries = input.Entries as { Id: string; MessageBody: string; DelaySeconds?: number }[];
        const Successful = entries.map((e) => ({
          Id: e.Id,
          MessageId: this.put(queueUrl, e.MessageBody, e.DelaySeconds ?? 0),
          MD5OfMessageBody: md5(e.MessageBody),
        }));
        return ok({ Successful, Failed: [] });
      }
      case "ReceiveMessage":
        return this.receive(this.queue(queueUrl), input);
      case "DeleteMessage":
        this.remove(this.queue(queueUrl), String(input.ReceiptHandle));
        return ok({});
      case "DeleteMessageBatch": {
        const entries = input.Entries as { Id: string; ReceiptHandle: string }[];
        for (const e of entries) this.remove(this.queue(queueUrl), e.ReceiptHandle);
        return ok({ Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] });
      }
      case "ChangeMessageVisibility": {
        const failed = this.changeVisibility(
          this.queue(queueUrl),
          String(input.ReceiptHandle),
          Number(input.VisibilityTimeout),
        );
        return failed
          ? jsonError(400, "com.amazonaws.sqs#MessageNotInflight", failed, {
              "x-amzn-query-error": "AWS.SimpleQueueService.MessageNotInflight;Sender",
            })
          : ok({});
      }
      case "ChangeMessageVisibilityBatch": {
        const entries = input.Entries as { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[];
        const Successful: { Id: string }[] = [];
        const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
        for (const e of entries) {
          const failed = this.changeVisibility(this.queue(queueUrl), e.ReceiptHandle, e.VisibilityTimeout);
          if (failed)
            Failed.push({ Id: e.Id, SenderFault: true, Code: "MessageNotInflight", Message: failed });
          else Successful.push({ Id: e.Id });
        }
        return ok({ Successful, Failed });
      }
      case "GetQueueAttributes": {
        const queue = this.queue(queueUrl);
        const now = this.world.now();
        const all = [...queue.messages.values()];
        return ok({
          Attributes: {
            // A received message whose visibility timeout ended is visible again, as on SQS.
            ApproximateNumberOfMessages: String(all.filter((m) => m.visibleAt <= now).length),
            ApproximateNumberOfMessagesNotVisible: String(
              all.filter((m) => m.receipt !== undefined && m.visibleAt > now).length,
            ),
            ApproximateNumberOfMessagesDelayed: String(
              all.filter((m) => m.receipt === undefined && m.visibleAt > now).length,
            ),
          },
        });
      }
      default:
        return jsonError(
          400,
          "com.amazonaws.sqs#UnsupportedOperation",
          `${request.operation} is not simulated`,
        );
    }
  }

  private queue(url: string): SimQueue {
    const queue = this.queues.get(url);
    if (!queue) throw new Error(`no simulated queue ${url}`);
    return queue;
  }

  private receive(queue: SimQueue, input: Record<string, unknown>): Promise<Answer> | Answer {
    const max = Math.min(10, Number(input.MaxNumberOfMessages ?? 1));
    const visibility =
      input.VisibilityTimeout === undefined
        ? queue.visibilityTimeoutSeconds
        : Number(input.VisibilityTimeout);
    const got = this.take(queue, max, visibility);
    const wait = Number(input.WaitTimeSeconds ?? 0);
    if (got.length > 0 || wait <= 0) return this.answerMessages(got);
    return new Promise<Answer>((resolve) => {
      const waiter: Waiter = {
        queue,
        max,
        visibility,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(this.answerMessages([]));
        }, wait * 1000),
      };
      this.waiters.add(waiter);
      this.wakeAtNextVisible(queue);
    });
  }

  private answerMessages(messages: Message[]): Answer {
    return ok({
      Messages: messages.map((m) => ({
        MessageId: m.id,
        ReceiptHandle: m.receipt,
        MD5OfBody: md5(m.body),
        Body: m.body,
        Attributes: { ApproximateReceiveCount: String(m.receiveCount) },
      })),
    });
  }

  /** Hands out up to `max` visible messages in a random order; moves over-received ones to the DLQ. */
  private take(queue: SimQueue, max: number, visibility: number): Message[] {
    const now = this.world.now();
    const visible = [...queue.messages.values()].filter((m) => m.visibleAt <= now);
    const inFlight = [...queue.messages.values()].filter((m) => m.visibleAt > now && m.receipt !== undefined);
    const candidates: Message[] = [];
    while (visible.length > 0 && candidates.length < max) {
      const i = Math.floor(this.prng.float() * visible.length);
      candidates.push(...visible.splice(i, 1));
    }
    // At-least-once: now and then a message already in flight is handed out again.
    if (inFlight.length > 0 && candidates.length < max && this.duplicate()) {
      candidates.push(this.prng.pick(inFlight));
    }
    // SQS may return fewer messages than are available.
    if (candidates.length > 1 && this.prng.chance(0.2))
      candidates.length = this.prng.int(1, candidates.length);
    const out: Message[] = [];
    for (const m of candidates) {
      if (queue.redrive && m.receiveCount >= queue.redrive.maxReceiveCount) {
        queue.messages.delete(m.id);
        this.put(queue.redrive.deadLetterUrl, m.body);
        continue;
      }
      m.receiveCount += 1;
      m.receipt = `${m.id}/${m.receiveCount}/${this.nextId++}`;
      m.visibleAt = now + visibility * 1000;
      out.push(m);
    }
    return out;
  }

  private remove(queue: SimQueue, receipt: string): void {
    const id = receipt.split("/")[0] ?? "";
    const m = queue.messages.get(id);
    if (m && m.receipt === receipt) queue.messages.delete(id);
  }

  private changeVisibility(queue: SimQueue, receipt: string, seconds: number): string | undefined {
    const id = receipt.split("/")[0] ?? "";
    const m = queue.messages.get(id);
    if (!m || m.receipt !== receipt) return "The message is not in flight under this receipt handle.";
    m.visibleAt = this.world.now() + seconds * 1000;
    this.wake(queue, seconds * 1000);
    return undefined;
  }

  /** Answers waiting long polls once messages are visible (now, or when a visibility timeout ends). */
  private wake(queue: SimQueue, afterMs: number): void {
    if (![...this.waiters].some((w) => w.queue === queue)) return;
    const serveWaiters = () => {
      for (const w of [...this.waiters]) {
        if (w.queue !== queue) continue;
        const got = this.take(queue, w.max, w.visibility);
        if (got.length === 0) return;
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(this.answerMessages(got));
      }
    };
    if (afterMs <= 0) queueMicrotask(serveWaiters);
    else setTimeout(serveWaiters, afterMs);
  }

  /** A new long poll also wakes when the next hidden message becomes visible. */
  private wakeAtNextVisible(queue: SimQueue): void {
    const now = this.world.now();
    let next = Number.POSITIVE_INFINITY;
    for (const m of queue.messages.values()) if (m.visibleAt > now) next = Math.min(next, m.visibleAt);
    if (Number.isFinite(next)) this.wake(queue, next - now);
  }
}
