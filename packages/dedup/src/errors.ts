import { type AttributeValue, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { DedupStore } from "./store.ts";

export type Item = Record<string, AttributeValue>;

/**
 * When a conditional write was refused, returns the item as it was (asked for with
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`, so no read is needed); otherwise undefined.
 */
export function conditionFailure(error: unknown): { item: Item | undefined } | undefined {
  if ((error as { name?: string } | null)?.name !== "ConditionalCheckFailedException") return undefined;
  return { item: (error as { Item?: Item }).Item };
}

/**
 * Why a conditional write was refused: the item as it is now. DynamoDB returns it with the error
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`); emulators that do not (dynalite) get one consistent
 * GetItem instead. The write itself already decided atomically; this only classifies the refusal.
 */
export async function refusedItem(
  store: DedupStore,
  key: Item,
  refusal: { item: Item | undefined },
): Promise<Item | undefined> {
  if (refusal.item) return refusal.item;
  const out = await store.client.send(
    new GetItemCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }),
  );
  return out.Item;
}

/** Raised when a job's status is asked for a job that has no record. */
export class JobNotFoundError extends Error {
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${jobId} not found`, options);
    this.name = "JobNotFoundError";
    this.jobId = jobId;
  }
}
