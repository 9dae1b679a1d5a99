import { partialFault } from "./faults.ts";
import type { Answer, Request, Service } from "./network.ts";

/** A batch request with some entries taken out, and how to put their failures back into the answer. */
export interface SplitBatch {
  /** The request with only the entries that apply. */
  request: Request;
  /** The answer, had every entry failed (then nothing is sent). */
  allFailed?: Answer;
  /** The service's answer to `request`, with the failed entries added as the real service reports them. */
  merge(answer: Answer): Answer;
}

type Json = Record<string, unknown>;

const ok = (body: Json): Answer => ({ status: 200, body: JSON.stringify(body) });

/**
 * Splits a batch call under a partial fault, as the real services answer one: SQS lists the failed entries
 * in `Failed` (a server-side fault, so the sender may retry them); DynamoDB hands them back as
 * `UnprocessedItems` / `UnprocessedKeys`.
 */
export function splitBatch(service: Service["name"], request: Request, pick: number): SplitBatch {
  const input = JSON.parse(request.body || "{}") as Json;
  const withBody = (body: Json): Request => ({ ...request, body: JSON.stringify(body) });
  const mergeJson =
    (add: (out: Json) => void) =>
    (answer: Answer): Answer => {
      if (answer.status !== 200) return answer;
      const out = JSON.parse(answer.body || "{}") as Json;
      add(out);
      return { ...answer, body: JSON.stringify(out) };
    };

  if (service === "sqs") {
    const entries = (input.Entries ?? []) as { Id: string }[];
    const fails = partialFault(pick, entries.length);
    const failed = entries
      .filter((_, i) => fails(i))
      .map((e) => ({
        Id: e.Id,
        SenderFault: false,
        Code: "InternalError",
        Message: "simulated partial failure",
      }));
    const kept = entries.filter((_, i) => !fails(i));
    if (kept.length === 0)
      return { request, allFailed: ok({ Successful: [], Failed: failed }), merge: (a) => a };
    return {
      request: withBody({ ...input, Entries: kept }),
      merge: mergeJson((out) => {
        out.Failed = [...((out.Failed ?? []) as unknown[]), ...failed];
      }),
    };
  }

  // DynamoDB: BatchWriteItem's RequestItems are lists of requests; BatchGetItem's hold `Keys` lists.
  const write = request.operation === "BatchWriteItem";
  const items = (input.RequestItems ?? {}) as Record<string, unknown>;
  const flat: { table: string; entry: unknown }[] = [];
  for (const [table, value] of Object.entries(items)) {
    const list = write ? (value as unknown[]) : ((value as { Keys: unknown[] }).Keys ?? []);
    for (const entry of list) flat.push({ table, entry });
  }
  const fails = partialFault(pick, flat.length);
  const regroup = (want: boolean): Json => {
    const out: Record<string, unknown[]> = {};
    flat.forEach(({ table, entry }, i) => {
      if (fails(i) !== want) return;
      const list = out[table] ?? [];
      list.push(entry);
      out[table] = list;
    });
    if (write) return out;
    // BatchGetItem: each table's other fields (ProjectionExpression, ConsistentRead) go with its keys.
    return Object.fromEntries(
      Object.entries(out).map(([table, keys]) => {
        const { Keys: _, ...rest } = items[table] as Json;
        return [table, { ...rest, Keys: keys }];
      }),
    );
  };
  const unprocessedKey = write ? "UnprocessedItems" : "UnprocessedKeys";
  const unprocessed = regroup(true);
  const kept = regroup(false);
  if (Object.keys(kept).length === 0)
    return {
      request,
      allFailed: ok(
        write ? { UnprocessedItems: unprocessed } : { Responses: {}, UnprocessedKeys: unprocessed },
      ),
      merge: (a) => a,
    };
  return {
    request: withBody({ ...input, RequestItems: kept }),
    merge: mergeJson((out) => {
      const all = (out[unprocessedKey] ?? {}) as Json;
      for (const [table, value] of Object.entries(unprocessed)) {
        const had = all[table];
        if (write) all[table] = [...((had ?? []) as unknown[]), ...(value as unknown[])];
        else {
          const keys = (value as { Keys: unknown[] }).Keys;
          all[table] = had
            ? { ...(had as Json), Keys: [...(had as { Keys: unknown[] }).Keys, ...keys] }
            : value;
        }
      }
      out[unprocessedKey] = all;
    }),
  };
}
