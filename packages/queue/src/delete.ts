import { DeleteMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { limits } from "@fanout/core";
import pRetry from "p-retry";

export interface DeleteResult {
  deleted: number;
  /** Receipt handles that could not be deleted; those messages will be received again. */
  failed: { receiptHandle: string; code: string; message: string }[];
}

/**
 * Deletes messages with DeleteMessageBatch (10 per request), retrying entries the batch reports as
 * failed. A message left undeleted is received again, and dedup turns that into a no-op.
 */
export async function deleteMessages(
  client: SQSClient,
  queueUrl: string,
  receiptHandles: readonly string[],
  options: { retries?: number; minDelayMs?: number } = {},
): Promise<DeleteResult> {
  const chunks: string[][] = [];
  for (let i = 0; i < receiptHandles.length; i += limits.sqsBatchEntries) {
    chunks.push(receiptHandles.slice(i, i + limits.sqsBatchEntries));
  }
  const results = await Promise.all(chunks.map((chunk) => deleteChunk(client, queueUrl, chunk, options)));
  return { deleted: results.reduce((n, r) => n + r.deleted, 0), failed: results.flatMap((r) => r.failed) };
}

async function deleteChunk(
  client: SQSClient,
  queueUrl: string,
  chunk: string[],
  options: { retries?: number; minDelayMs?: number },
): Promise<DeleteResult> {
  let pending = chunk;
  let deleted = 0;
  let failed: DeleteResult["failed"] = [];
  try {
    await pRetry(
      async () => {
        const out = await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: pending.map((receiptHandle, i) => ({ Id: String(i), ReceiptHandle: receiptHandle })),
          }),
        );
        deleted += out.Successful?.length ?? 0;
        failed = [];
        const retry: string[] = [];
        for (const f of out.Failed ?? []) {
          const handle = pending[Number(f.Id)] ?? "";
          failed.push({ receiptHandle: handle, code: f.Code ?? "Unknown", message: f.Message ?? "" });
          // An invalid or expired receipt handle will not become valid by retrying.
          if (!f.SenderFault) retry.push(handle);
        }
        pending = retry;
        if (pending.length > 0) throw new Error(`${pending.length} deletes failed`);
      },
      { retries: options.retries ?? 3, minTimeout: options.minDelayMs ?? 100, factor: 2 },
    );
  } catch (error) {
    if (failed.length === 0) {
      const e = error as Error;
      failed = pending.map((receiptHandle) => ({ receiptHandle, code: e.name, message: e.message }));
    }
  }
  return { deleted, failed };
}
