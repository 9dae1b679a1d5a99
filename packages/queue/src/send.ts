import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import pLimit from "p-limit";
import pRetry, { AbortError } from "p-retry";
import { type OutgoingMessage, packBatches } from "./batches.ts";

export interface SendFailure {
  id: string;
  code: string;
  message: string;
  /** True when SQS blamed the request (e.g. invalid characters): retrying cannot help. */
  senderFault: boolean;
  /** The SDK's error when the whole request failed (none when SQS refused single entries). */
  error?: unknown;
}

export interface SendResult {
  sent: number;
  /** Entries that still failed after retries. Never dropped silently: the caller decides. */
  failed: SendFailure[];
}

export interface SendOptions {
  /** Batches in flight at once. */
  concurrency?: number;
  /** Extra attempts for entries that a batch reported as failed (server faults only). */
  retries?: number;
  /** First backoff delay in ms; doubles per attempt. */
  minDelayMs?: number;
}

/**
 * Sends messages with SendMessageBatch: batches of ≤ 10 entries and ≤ 1 MiB, several in flight.
 * Entries a batch reports as failed are retried with backoff; whole-request errors are retried by
 * the SDK itself. What still fails is returned, never dropped.
 *
 * @example
 * const { sent, failed } = await sendMessages(sqs, queueUrl, [{ id: "0", body: "{}" }]);
 */
export async function sendMessages(
  client: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  options: SendOptions = {},
): Promise<SendResult> {
  const limit = pLimit(options.concurrency ?? 16);
  const results = await Promise.all(
    packBatches(messages).map((batch) => limit(() => sendBatch(client, queueUrl, batch, options))),
  );
  return {
    sent: results.reduce((n, r) => n + r.sent, 0),
    failed: results.flatMap((r) => r.failed),
  };
}

async function sendBatch(
  client: SQSClient,
  queueUrl: string,
  batch: OutgoingMessage[],
  options: SendOptions,
): Promise<SendResult> {
  let pending = batch;
  let sent = 0;
  const failed: SendFailure[] = [];
  let retryable: SendFailure[] = [];
  try {
    await pRetry(
      async () => {
        const out = await client
          .send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: pending.map((m, i) => ({
                Id: String(i),
                MessageBody: m.body,
                ...(m.delaySeconds ? { DelaySeconds: Math.min(900, m.delaySeconds) } : {}),
              })),
            }),
          )
          // The SDK already retried the whole request by its own strategy; do not retry it again.
          .catch((error: unknown) => {
            throw new AbortError(error as Error);
          });
        sent += out.Successful?.length ?? 0;
        const next: OutgoingMessage[] = [];
        retryable = [];
        for (const f of out.Failed ?? []) {
          const entry = pending[Number(f.Id)];
          const failure = {
            id: entry?.id ?? String(f.Id),
            code: f.Code ?? "Unknown",
            message: f.Message ?? "",
            senderFault: f.SenderFault === true,
          };
          if (failure.senderFault || !entry) failed.push(failure);
          else {
            next.push(entry);
            retryable.push(failure);
          }
        }
        pending = next;
        if (pending.length > 0) throw new Error(`${pending.length} entries failed (${retryable[0]?.code})`);
      },
      { retries: options.retries ?? 5, minTimeout: options.minDelayMs ?? 100, factor: 2 },
    );
  } catch (error) {
    if (retryable.length > 0 && pending.length > 0 && !(error as { $metadata?: unknown }).$metadata) {
      failed.push(...retryable);
    } else {
      const e = error as Error;
      failed.push(
        ...pending.map((m) => ({ id: m.id, code: e.name, message: e.message, senderFault: false, error })),
      );
    }
  }
  return { sent, failed };
}
