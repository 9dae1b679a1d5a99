import { createRequire } from "node:module";

type Item = Record<string, unknown>;
type ConditionError = (Error & { body?: { __type?: string; Item?: Item } }) | null | undefined;
type DynaliteDb = { checkConditional: (data: Item, existingItem: Item | undefined) => ConditionError };
type Validation = { types?: Record<string, unknown> };

let patched = false;

/**
 * DynamoDB returns the item as it was in a ConditionalCheckFailedException when the request says
 * `ReturnValuesOnConditionCheckFailure: "ALL_OLD"` (PutItem, UpdateItem, DeleteItem). dynalite 4.0.0
 * accepts the parameter and ignores it. fanout reads that item to tell a duplicate from a live claim without a
 * second read, so we add it: dynalite's actions call `db.checkConditional(data, existingItem)` through the
 * shared CommonJS exports object while holding the item's lock, so wrapping it returns exactly the item that
 * failed the condition, as DynamoDB does. dynalite's request validation also drops parameters it does not
 * know, so the parameter is declared in the PutItem/UpdateItem/DeleteItem validation types. Pinned by the conformance test "refuses a live lease with ALL_OLD".
 */
export function returnOldItemOnConditionFailure(): void {
  if (patched) return;
  patched = true;
  const require = createRequire(import.meta.url);
  // Resolve dynalite's own copy of its db module (no `exports` map, so the subpath is public to require).
  const db = require(require.resolve("dynalite/db/index.js")) as DynaliteDb;
  const check = db.checkConditional;
  if (typeof check !== "function") return; // layout changed: the conformance test will say so
  for (const action of ["putItem", "updateItem", "deleteItem"]) {
    const validation = require(require.resolve(`dynalite/validations/${action}.js`)) as Validation;
    validation.types ??= {};
    validation.types.ReturnValuesOnConditionCheckFailure = { type: "String", enum: ["ALL_OLD", "NONE"] };
  }
  db.checkConditional = (data, existingItem) => {
    const error = check(data, existingItem);
    if (
      error?.body?.__type?.endsWith("#ConditionalCheckFailedException") &&
      data.ReturnValuesOnConditionCheckFailure === "ALL_OLD" &&
      existingItem !== undefined
    ) {
      error.body.Item = existingItem;
    }
    return error;
  };
}
