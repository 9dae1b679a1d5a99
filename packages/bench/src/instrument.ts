import type { MiddlewareStack } from "@smithy/types";

// biome-ignore lint/suspicious/noExplicitAny: the SDK's stacks differ per client; only `add` is used.
type AnyClient = { middlewareStack: MiddlewareStack<any, any> };

/** When the last useful response arrived: any response but a ReceiveMessage that returned nothing. */
export class Activity {
  last = performance.now();
  reset(): void {
    this.last = performance.now();
  }
}

/** DynamoDB capacity units reported by the service (`ReturnConsumedCapacity: TOTAL`). */
export class Capacity {
  read = 0;
  write = 0;
  reset(): void {
    this.read = 0;
    this.write = 0;
  }
}

const reads = new Set(["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand"]);
const writes = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand", "BatchWriteItemCommand"]);

/** Records the time of every useful response in `activity`. */
export function trackActivity<T extends AnyClient>(client: T, activity: Activity): T {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const output = out.output as { Messages?: unknown[] };
      const empty = context.commandName === "ReceiveMessageCommand" && !output.Messages?.length;
      if (!empty) activity.last = performance.now();
      return out;
    },
    { step: "initialize", name: "benchActivity", override: true },
  );
  return client;
}

/**
 * Asks DynamoDB for the capacity each request consumed and adds it up. Requests refused by a condition
 * report nothing; none happen in the benchmark's runs (every task is new).
 */
export function trackCapacity<T extends AnyClient>(client: T, capacity: Capacity): T {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const isRead = reads.has(command);
      if (isRead || writes.has(command)) {
        // Unless an inner client middleware asked already (the functions' countCapacity asks for INDEXES).
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity ??= "TOTAL";
      }
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as {
        CapacityUnits?: number;
      }[];
      const units = list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      if (isRead) capacity.read += units;
      else if (writes.has(command)) capacity.write += units;
      return out;
    },
    { step: "initialize", name: "benchCapacity", override: true },
  );
  return client;
}
