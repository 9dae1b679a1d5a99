import { randomUUID } from "node:crypto";
import type { ReceivedMessage } from "./receive.ts";

/**
 * A message as `receiveMessages` returns it, for tests of code that handles one without a queue:
 * a JSON body from any value (a string is the body as is), fresh ids, first receive.
 */
export function receivedMessage(body: unknown, overrides: Partial<ReceivedMessage> = {}): ReceivedMessage {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: typeof body === "string" ? body : JSON.stringify(body),
    receiveCount: 1,
    ...overrides,
  };
}
