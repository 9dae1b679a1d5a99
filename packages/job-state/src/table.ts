import {
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { conditionFailure, type Item } from "./condition-failure.ts";
import type { DedupStore } from "./store.ts";

/**
 * A conditional write's answer. A refusal is an answer, not an error: `item` is the item as the refusal found
 * it when the write asked for it (`ReturnValuesOnConditionCheckFailure: "ALL_OLD"`; no read follows, ADR 0004),
 * else undefined. A write that took effect gives its `ReturnValues`, when it asked for them.
 */
export type ConditionalWrite =
  | { written: true; item: Item | undefined }
  | { written: false; item: Item | undefined };

/** One conditional UpdateItem on the store's table; any error but the condition's refusal is thrown. */
export function updateIf(
  store: DedupStore,
  input: Omit<UpdateItemCommandInput, "TableName">,
): Promise<ConditionalWrite> {
  return sendIf(() => store.client.send(new UpdateItemCommand({ TableName: store.tableName, ...input })));
}

/** One conditional PutItem on the store's table; any error but the condition's refusal is thrown. */
export function putIf(
  store: DedupStore,
  input: Omit<PutItemCommandInput, "TableName">,
): Promise<ConditionalWrite> {
  return sendIf(() => store.client.send(new PutItemCommand({ TableName: store.tableName, ...input })));
}

/** One UpdateItem with no condition; answers the item as the write left it (`ReturnValues: "ALL_NEW"`). */
export async function updateItem(
  store: DedupStore,
  input: Omit<UpdateItemCommandInput, "TableName" | "ReturnValues">,
): Promise<Item> {
  const out = await store.client.send(
    new UpdateItemCommand({ TableName: store.tableName, ...input, ReturnValues: "ALL_NEW" }),
  );
  return out.Attributes ?? {};
}

async function sendIf(send: () => Promise<{ Attributes?: Item }>): Promise<ConditionalWrite> {
  try {
    return { written: true, item: (await send()).Attributes };
  } catch (error) {
    const refused = conditionFailure(error);
    if (!refused) throw error;
    return { written: false, item: refused.item };
  }
}
