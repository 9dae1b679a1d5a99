import { createRequire } from "node:module";

/** An item as dynalite holds it: attribute name → DynamoDB JSON (`{ S: "…" }`, `{ NS: ["1"] }`, …). */
export type EmulatedItem = Record<string, Record<string, unknown>>;

/**
 * One committed write of an item, shaped as a DynamoDB Streams record's `eventName` and `dynamodb` part
 * (`NEW_AND_OLD_IMAGES`): what the local stand-in for a table's stream is built from (ADR 0015, decision 2).
 */
export interface ItemChange {
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  tableName: string;
  /** The item's key attributes. */
  keys: EmulatedItem;
  /** The item before the write (absent for INSERT). */
  oldImage?: EmulatedItem;
  /** The item after the write (absent for REMOVE). */
  newImage?: EmulatedItem;
  /** Increasing per emulator, as a 21-digit numeric string (DynamoDB's are 21 to 40 digits). */
  sequenceNumber: string;
}

/** Receives every committed change of one emulator, in commit order per item (and overall). */
export type ChangeSink = (change: ItemChange) => void;

type Table = { TableName: string; KeySchema: { AttributeName: string }[] };
type Store = { options?: { changeSink?: ChangeSink; changeSeq?: number } };
type UpdateIndexes = (
  store: Store,
  table: Table,
  oldItem: EmulatedItem | null | undefined,
  newItem: EmulatedItem | null | undefined,
  cb: (error?: unknown) => void,
) => void;

let patched = false;

/**
 * Makes every dynalite server started with a `changeSink` in its options report each committed write.
 * PutItem, UpdateItem and DeleteItem (and BatchWriteItem, through them) all call
 * `db.updateIndexes(store, table, oldItem, newItem, cb)` through dynalite's shared exports object while
 * holding the item's lock, with both images in hand, right before they store the new item: wrapping it gives
 * the changes in commit order per key. The sink travels in the server's options (dynalite keeps them as
 * `store.options`), so servers in one process stay apart. As DynamoDB Streams does, a write that changes
 * nothing makes no record. dynalite 4.0.0 has no transactions and no TTL deletion, so neither appears.
 * (The record is made before LevelDB stores the item: an in-memory store cannot fail there.)
 */
export function reportItemChanges(): void {
  if (patched) return;
  patched = true;
  const require = createRequire(import.meta.url);
  const db = require(require.resolve("dynalite/db/index.js")) as { updateIndexes: UpdateIndexes };
  const update = db.updateIndexes;
  if (typeof update !== "function") return; // layout changed: the conformance test will say so
  db.updateIndexes = (store, table, oldItem, newItem, cb) =>
    update(store, table, oldItem, newItem, (error) => {
      const options = store.options;
      const sink = options?.changeSink;
      if (!error && options && sink && canonical(oldItem) !== canonical(newItem)) {
        const any = (newItem ?? oldItem) as EmulatedItem;
        options.changeSeq = (options.changeSeq ?? 0) + 1;
        sink({
          eventName: !oldItem ? "INSERT" : !newItem ? "REMOVE" : "MODIFY",
          tableName: table.TableName,
          keys: Object.fromEntries(
            table.KeySchema.map((k) => [k.AttributeName, structuredClone(any[k.AttributeName] ?? {})]),
          ),
          ...(oldItem ? { oldImage: structuredClone(oldItem) } : {}),
          ...(newItem ? { newImage: structuredClone(newItem) } : {}),
          sequenceNumber: String(options.changeSeq).padStart(21, "0"),
        });
      }
      cb(error);
    });
}

/**
 * An item as text with its attributes in name order and its sets sorted, so that a write that only reorders
 * a set counts as no change (dynalite's items and the request's values differ in prototype, not in content).
 */
function canonical(item: EmulatedItem | null | undefined): string {
  if (!item) return "";
  return JSON.stringify(
    Object.keys(item)
      .sort()
      .map((name) => {
        const [type, v] = Object.entries(item[name] ?? {})[0] ?? [];
        return [name, type, type && /^(NS|SS|BS)$/.test(type) && Array.isArray(v) ? [...v].sort() : v];
      }),
  );
}
