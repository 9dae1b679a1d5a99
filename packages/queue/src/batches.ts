import { limits, PayloadTooLargeError, utf8Bytes } from "@fanout/core";

export interface OutgoingMessage {
  /** Unique within one call; reported back for failed entries. */
  id: string;
  body: string;
  /** Seconds before the message becomes visible, 0-900. @default 0 */
  delaySeconds?: number;
}

/**
 * Packs messages into SendMessageBatch requests of at most 10 entries and 1 MiB of bodies, keeping
 * order. A single over-size message is refused before anything is sent.
 */
export function packBatches(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = utf8Bytes(message.body);
    if (size > limits.sqsMessageBytes) {
      throw new PayloadTooLargeError(`message ${message.id}`, size, limits.sqsMessageBytes);
    }
    if (current.length === limits.sqsBatchEntries || bytes + size > limits.sqsBatchBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
