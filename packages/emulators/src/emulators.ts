import type { ChangeSink } from "./dynalite-changes.ts";
import { startDynamo } from "./dynamo.ts";
import { type RunningEmulator, startSqs } from "./sqs.ts";

export interface StartEmulatorsOptions {
  host?: string;
  /** DynamoDB data directory (SQS is always in memory). */
  dataDir?: string;
  sqsPort?: number;
  dynamoPort?: number;
  /** Fixed delay added to every request to either emulator; default 0. */
  latencyMs?: number;
  /** Receives every committed write of a DynamoDB item (the local table's stream; dynalite-changes.ts). */
  onChange?: ChangeSink;
}

export interface RunningEmulators {
  sqs: RunningEmulator;
  dynamo: RunningEmulator;
  sqsEndpoint: string;
  /** SNS: the SQS emulator's own endpoint (fauxqs serves both). */
  snsEndpoint: string;
  dynamoEndpoint: string;
  stop(): Promise<void>;
}

/** Starts both emulators; if one fails to start, the other is stopped before the error is rethrown. */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const host = options.host ?? "127.0.0.1";
  const [sqs, dynamo] = await Promise.allSettled([
    startSqs({ host, port: options.sqsPort ?? 0, latencyMs: options.latencyMs ?? 0 }),
    startDynamo({
      host,
      port: options.dynamoPort ?? 0,
      latencyMs: options.latencyMs ?? 0,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.onChange === undefined ? {} : { onChange: options.onChange }),
    }),
  ]);
  if (sqs.status === "rejected" || dynamo.status === "rejected") {
    await Promise.all([sqs, dynamo].map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
    throw sqs.status === "rejected" ? sqs.reason : (dynamo as PromiseRejectedResult).reason;
  }
  return {
    sqs: sqs.value,
    dynamo: dynamo.value,
    sqsEndpoint: sqs.value.endpoint,
    snsEndpoint: sqs.value.endpoint,
    dynamoEndpoint: dynamo.value.endpoint,
    async stop() {
      await Promise.all([sqs.value.stop(), dynamo.value.stop()]);
    },
  };
}
