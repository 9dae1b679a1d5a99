import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export type Item = Record<string, AttributeValue>;

/**
 * When a conditional write was refused, returns the item as it was (asked for with
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`), or `item: undefined` when there is no item. No read
 * follows, so the functions need no `dynamodb:GetItem` (docs/decisions/0004-no-read-after-refusal.md).
 */
export function conditionFailure(error: unknown): { item: Item | undefined } | undefined {
  if ((error as { name?: string } | null)?.name !== "ConditionalCheckFailedException") return undefined;
  return { item: (error as { Item?: Item }).Item };
}
