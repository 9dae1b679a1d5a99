import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Credentials, InvocationResult } from "./types.ts";

export type DiscardCondition = "RetriesExhausted" | "EventAgeExceeded";

/** The invocation record Lambda sends to an on-failure destination (AWS docs, "Capturing records of Lambda asynchronous invocations"). */
export interface InvocationRecord {
  version: "1.0";
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: DiscardCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload?: unknown;
}

export function buildInvocationRecord(input: {
  requestId: string;
  functionArn: string;
  condition: DiscardCondition;
  invokeCount: number;
  payload: string;
  lastResult: InvocationResult | undefined;
  now?: Date;
}): InvocationRecord {
  const record: InvocationRecord = {
    version: "1.0",
    timestamp: (input.now ?? new Date()).toISOString(),
    requestContext: {
      requestId: input.requestId,
      // Lambda names the version that ran: unqualified invocations report `:$LATEST`.
      functionArn: `${input.functionArn}:$LATEST`,
      condition: input.condition,
      approximateInvokeCount: input.invokeCount,
    },
    requestPayload: JSON.parse(input.payload),
    // An event that never ran (throttled until it aged out) has no function response: 429 stands for that.
    responseContext: { statusCode: input.lastResult === undefined ? 429 : 200, executedVersion: "$LATEST" },
  };
  const last = input.lastResult;
  if (last?.kind === "error") {
    record.responseContext.functionError = "Unhandled";
    record.responsePayload = last.error;
  } else if (last?.kind === "success") {
    record.responsePayload = JSON.parse(last.payload);
  }
  return record;
}

/**
 * Sends invocation records to SQS queues with the real SQS client. The endpoint is the configured one, or
 * the queue URL's own origin (an emulator's `*.localhost` host is reached on 127.0.0.1).
 */
export class DestinationSender {
  private readonly clients = new Map<string, SQSClient>();
  private readonly region: string;
  private readonly endpoint: string | undefined;
  private readonly credentials: Credentials;

  constructor(options: { region: string; endpoint: string | undefined; credentials: Credentials }) {
    this.region = options.region;
    this.endpoint = options.endpoint;
    this.credentials = options.credentials;
  }

  /** Sends an invocation record, or a stream's batch info (stream-mapping.ts). */
  async send(queueUrl: string, record: InvocationRecord | object): Promise<void> {
    await this.client(queueUrl).send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }),
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private client(queueUrl: string): SQSClient {
    const endpoint = this.endpoint ?? endpointOf(queueUrl);
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      client = new SQSClient({
        region: this.region,
        endpoint,
        credentials: this.credentials,
        maxAttempts: 3,
      });
      this.clients.set(endpoint, client);
    }
    return client;
  }
}

export function endpointOf(queueUrl: string): string {
  const url = new URL(queueUrl);
  if (url.hostname === "localhost" || url.hostname.endsWith(".localhost")) url.hostname = "127.0.0.1";
  return url.origin;
}
