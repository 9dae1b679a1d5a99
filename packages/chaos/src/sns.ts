import type { Answer, Request, Service } from "./network.ts";
import type { World } from "./world.ts";

/** One message SNS delivered to the topic's subscribers. */
export interface Delivery {
  messageId: string;
  deduplicationId: string | undefined;
  groupId: string | undefined;
  message: string;
  atMs: number;
}

/** SNS FIFO deduplicates a MessageDeduplicationId for 5 minutes after its first publish. */
export const snsDedupWindowMs = 5 * 60_000;

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * SNS as documented for a FIFO topic, the Publish action only (the query protocol the SDK speaks): a publish
 * whose deduplication id was accepted within the last 5 minutes is answered as a success and not delivered
 * again; every other publish is delivered once. `deliveries` is what a subscriber receives.
 */
export class SnsModel implements Service {
  readonly name = "sns" as const;
  readonly deliveries: Delivery[] = [];
  /** Every accepted Publish, deduplicated or not. */
  published = 0;
  private readonly firstSeen = new Map<string, number>();
  private next = 0;
  private readonly world: World;
  /** Called with each delivery as it happens (the checks read the table at that moment). */
  private readonly onDelivery: ((delivery: Delivery) => Promise<void>) | undefined;

  constructor(world: World, onDelivery?: (delivery: Delivery) => Promise<void>) {
    this.world = world;
    this.onDelivery = onDelivery;
  }

  errorAnswer(kind: "throttle" | "server"): Answer {
    return kind === "throttle"
      ? queryError(400, "Throttling", "Rate exceeded")
      : queryError(500, "InternalError", "Request could not be completed");
  }

  async serve(request: Request): Promise<Answer> {
    const form = new URLSearchParams(request.body);
    if (form.get("Action") !== "Publish")
      return queryError(
        400,
        "InvalidAction",
        `the simulation serves Publish only, not ${form.get("Action")}`,
      );
    const dedup = form.get("MessageDeduplicationId") ?? undefined;
    const messageId = `m-${(this.next++).toString().padStart(6, "0")}`;
    this.published += 1;
    const now = this.world.now();
    const seen = dedup === undefined ? undefined : this.firstSeen.get(dedup);
    if (seen === undefined || now - seen >= snsDedupWindowMs) {
      if (dedup !== undefined) this.firstSeen.set(dedup, now);
      const delivery = {
        messageId,
        deduplicationId: dedup,
        groupId: form.get("MessageGroupId") ?? undefined,
        message: form.get("Message") ?? "",
        atMs: now,
      };
      this.deliveries.push(delivery);
      await this.onDelivery?.(delivery);
    }
    return {
      status: 200,
      headers: { "content-type": "text/xml" },
      body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId><SequenceNumber>${String(this.next).padStart(20, "0")}</SequenceNumber></PublishResult><ResponseMetadata><RequestId>r-${messageId}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  }
}

function queryError(status: number, code: string, message: string): Answer {
  return {
    status,
    headers: { "content-type": "text/xml" },
    body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>err</RequestId></ErrorResponse>`,
  };
}
