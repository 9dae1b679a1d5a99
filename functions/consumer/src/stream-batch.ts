import type { Logger } from "@fanout/core";
import { taskChangeOf } from "@fanout/dedup";
import { type DedupStore, type DeliveredChange, settleChanges } from "@fanout/job-state";
import { announce, type NoticeDeps } from "@fanout/notices";
import { z } from "zod";

/**
 * A DynamoDB stream batch as Lambda's event source mapping delivers it: only what the fold reads. The new
 * image is read per record by `taskChangeOf`, which ignores what is not a counted task change.
 */
const streamEventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal("aws:dynamodb"),
        dynamodb: z.object({ SequenceNumber: z.string().min(1), NewImage: z.unknown().optional() }),
      }),
    )
    .min(1),
});

/** The answer `ReportBatchItemFailures` expects: the records to retry from (Lambda takes the lowest). */
export interface StreamBatchAnswer {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface StreamBatchDeps {
  store: DedupStore;
  logger: Logger;
  notices?: Pick<NoticeDeps, "sns" | "topicArn">;
}

/** Whether the consumer was invoked by the table's stream (rather than the schedule, `main` or a person). */
export function isStreamEvent(event: unknown): boolean {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && (records[0] as { eventSource?: unknown })?.eventSource === "aws:dynamodb";
}

/**
 * Counts a batch of the table's task changes into their jobs' counters (ADR 0015, decision 2): the jobs'
 * counts, completion, failure threshold and `job.finished` notice are decided here, off the task path. A
 * record that is not a counted task change is skipped (the trigger's filter lets few through); the records
 * whose shard could not be written are answered as failures, so the mapping retries from the first of them.
 * A malformed batch fails as a whole: the mapping retries it, then sends its position to the failure queue.
 */
export async function countStreamBatch(deps: StreamBatchDeps, event: unknown): Promise<StreamBatchAnswer> {
  const batch = streamEventSchema.parse(event);
  const changes: DeliveredChange[] = batch.Records.flatMap((record) => {
    const change = taskChangeOf(record.dynamodb.NewImage);
    return change ? [{ ...change, id: record.dynamodb.SequenceNumber }] : [];
  });
  const settled = await settleChanges(deps.store, changes);
  const noticeDeps: NoticeDeps = { store: deps.store, logger: deps.logger, ...deps.notices };
  // Never throws: a notice it cannot publish stays due, and a consumer run's sweep publishes it.
  for (const notice of settled.notices) await announce(noticeDeps, notice);
  const failed = settled.failed.flatMap((f) => f.ids);
  const summary = {
    records: batch.Records.length,
    changes: changes.length,
    notices: settled.notices.length,
    failed: failed.length,
  };
  if (settled.failed.length > 0)
    deps.logger.warn("stream batch: some counts not written; the mapping retries them", {
      ...summary,
      errors: settled.failed.map((f) => String(f.error)).slice(0, 5),
    });
  else deps.logger.info("stream batch counted", summary);
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
