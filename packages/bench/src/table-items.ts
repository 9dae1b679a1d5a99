import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { itemKindOf } from "@fanout/job-state";
import { itemBytes } from "./item-size.ts";

/** The largest item of one kind: its size by DynamoDB's rules and its key. */
export interface LargestItem {
  bytes: number;
  pk: string;
}

/**
 * The largest item of each kind in the table (task, job, shard, group, progress, slot, run slot), of the items
 * whose key `match` accepts: which items set the capacity units a write costs, named, not guessed.
 */
export async function largestByKind(
  db: DynamoDBClient,
  tableName: string,
  match: (pk: string) => boolean = () => true,
): Promise<Record<string, LargestItem>> {
  const out: Record<string, LargestItem> = {};
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? "";
      if (!match(pk)) continue;
      const kind = itemKindOf(pk);
      const bytes = itemBytes(item);
      if (bytes > (out[kind]?.bytes ?? -1)) out[kind] = { bytes, pk };
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
