import type { AttributeValue } from "@aws-sdk/client-dynamodb";

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** Size of a number as DynamoDB counts it: about one byte per two significant digits, plus one. */
function numberBytes(n: string): number {
  const digits = n.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueBytes(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueBytes(e), 0);
  return 0;
}

/**
 * An item's size by DynamoDB's rules (attribute names plus values), which sets its capacity units: one
 * write unit per started KB, one strongly consistent read unit per started 4 KB.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueBytes(value), 0);
}

/**
 * Write (or read) units per task from units measured by item kind and use (`task.write`, `job.read`,
 * `job.index.model`, `task.refused`, ...: `countCapacity` in `@fanout/core`): every key but `.read` is a write.
 */
export function units(perTask: Record<string, number>, read: boolean): number {
  return Object.entries(perTask)
    .filter(([k]) => k.endsWith(".read") === read)
    .reduce((sum, [, n]) => sum + n, 0);
}
