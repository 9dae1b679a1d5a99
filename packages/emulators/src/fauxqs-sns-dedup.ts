import { createHash, randomUUID } from "node:crypto";
import type { buildApp } from "fauxqs";

type App = ReturnType<typeof buildApp>;

/** What this correction reads of fauxqs' SNS store: a topic's attributes by ARN. */
export interface TopicLookup {
  getTopic(arn: string): { attributes: Record<string, string | undefined> } | undefined;
}

/** SNS FIFO topics drop a repeated MessageDeduplicationId for 5 minutes. */
export const fifoTopicDedupWindowMs = 5 * 60 * 1000;

const pendingKey = Symbol("fanout.snsDedup");

/**
 * A correction to fauxqs 2.4.1 (the others: fauxqs-internals.ts, fauxqs-receipts.ts, fauxqs-long-poll.ts):
 * deduplication by SNS FIFO topics.
 *
 * On SNS, a FIFO topic that accepted a message with a given MessageDeduplicationId (or, with
 * ContentBasedDeduplication, the SHA-256 of the body) accepts any later one with the same id for 5 minutes
 * but delivers it to no subscription; with `FifoThroughputScope` = `MessageGroup` the scope is the message
 * group. fauxqs validates the ids and passes them on, but deduplicates only inside each subscribed SQS FIFO
 * queue: a standard queue subscribed to the topic got every copy (checked: two publishes, same id, two
 * messages in a raw-delivery standard queue, one in a FIFO queue). fanout's `job.finished` notice relies on
 * the topic's own deduplication (ADR 0012), so the local stack must have it too.
 *
 * A Fastify hook answers a duplicate `Publish` itself, as SNS does (200, a MessageId, nothing delivered), and
 * lets every other request through to fauxqs. The id is recorded before fauxqs handles the first publish,
 * so two concurrent duplicates deliver once, and forgotten again if fauxqs refused that publish.
 * `PublishBatch` is not corrected (fanout publishes one notice at a time).
 */
export function dedupFifoTopics(app: App, topics: TopicLookup, now: () => number = Date.now): void {
  // Per topic ARN: deduplication key -> end of its window.
  const seen = new Map<string, Map<string, number>>();

  app.addHook("preHandler", async (request, reply) => {
    if (!String(request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")) return;
    const body = request.body as Record<string, string | undefined> | undefined;
    if (body?.Action !== "Publish" || !body.TopicArn) return;
    const attributes = topics.getTopic(body.TopicArn)?.attributes;
    if (attributes?.FifoTopic !== "true" || !body.MessageGroupId) return;
    const id =
      body.MessageDeduplicationId ??
      (attributes.ContentBasedDeduplication === "true" && body.Message !== undefined
        ? createHash("sha256").update(body.Message, "utf8").digest("hex")
        : undefined);
    if (id === undefined) return; // fauxqs refuses it
    const key = attributes.FifoThroughputScope === "MessageGroup" ? `${body.MessageGroupId}\u0000${id}` : id;
    const ids = seen.get(body.TopicArn) ?? new Map<string, number>();
    seen.set(body.TopicArn, ids);
    const at = now();
    // Oldest first (insertion order, one window each): stop at the first still within its window.
    for (const [k, until] of ids) {
      if (until > at) break;
      ids.delete(k);
    }
    if (ids.has(key)) {
      return reply.header("content-type", "text/xml").send(publishResponse(randomUUID(), randomUUID()));
    }
    const until = at + fifoTopicDedupWindowMs;
    ids.set(key, until);
    (request as unknown as Record<symbol, () => void>)[pendingKey] = () => {
      if (ids.get(key) === until) ids.delete(key);
    };
  });

  // A publish fauxqs refused (no group, bad topic, too long) recorded nothing.
  app.addHook("onResponse", async (request, reply) => {
    const forget = (request as unknown as Record<symbol, (() => void) | undefined>)[pendingKey];
    if (forget !== undefined && reply.statusCode !== 200) forget();
  });
}

function publishResponse(messageId: string, requestId: string): string {
  return [
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">',
    `  <PublishResult><MessageId>${messageId}</MessageId></PublishResult>`,
    `  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`,
    "</PublishResponse>",
  ].join("\n");
}
