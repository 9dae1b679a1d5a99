import type { buildApp } from "fauxqs";

type App = ReturnType<typeof buildApp>;
type Entry = { Id?: string; ReceiptHandle?: string };
type Failure = { Id: string | undefined; SenderFault: true; Code: "ReceiptHandleIsInvalid"; Message: string };

/** fauxqs issues receipt handles with `randomUUID()`; anything else it cannot have issued. */
const issuedByFauxqs = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const failedKey = Symbol("fanout.invalidReceipts");
const invalid = (handle: string | undefined) =>
  `The input receipt handle "${handle}" is not a valid receipt handle.`;

/**
 * SQS answers a malformed receipt handle with ReceiptHandleIsInvalid: DeleteMessage throws it and
 * DeleteMessageBatch lists the entry in `Failed`. fauxqs 2.4.1 reports every DeleteMessage(Batch) entry as
 * successful. fanout's consumer must see failed deletes, so this restores SQS' answer for handles fauxqs cannot
 * have issued. (A stale but well-formed handle succeeds silently, on SQS as on fauxqs.)
 */
export function rejectInvalidReceiptHandles(app: App): void {
  app.addHook("preHandler", async (request, reply) => {
    const target = request.headers["x-amz-target"];
    const body = request.body as { ReceiptHandle?: string; Entries?: Entry[] } | undefined;
    if (!body || typeof body !== "object") return;
    if (
      target === "AmazonSQS.DeleteMessage" &&
      body.ReceiptHandle &&
      !issuedByFauxqs.test(body.ReceiptHandle)
    ) {
      return reply
        .code(400)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-query-error", "ReceiptHandleIsInvalid;Sender")
        .send({ __type: "com.amazonaws.sqs#ReceiptHandleIsInvalid", message: invalid(body.ReceiptHandle) });
    }
    if (target !== "AmazonSQS.DeleteMessageBatch" || !Array.isArray(body.Entries)) return;
    const valid = (e: Entry) => typeof e.ReceiptHandle === "string" && issuedByFauxqs.test(e.ReceiptHandle);
    const failed: Failure[] = body.Entries.filter((e) => !valid(e)).map((e) => ({
      Id: e.Id,
      SenderFault: true,
      Code: "ReceiptHandleIsInvalid",
      Message: invalid(e.ReceiptHandle),
    }));
    if (failed.length === 0) return;
    const rest = body.Entries.filter(valid);
    if (rest.length === 0) {
      return reply
        .header("content-type", "application/x-amz-json-1.0")
        .send({ Successful: [], Failed: failed });
    }
    body.Entries = rest;
    (request as unknown as Record<symbol, Failure[]>)[failedKey] = failed;
  });
  app.addHook("preSerialization", async (request, _reply, payload) => {
    const failed = (request as unknown as Record<symbol, Failure[] | undefined>)[failedKey];
    const result = payload as { Failed?: unknown[] } | null;
    if (failed && result && Array.isArray(result.Failed)) result.Failed.push(...failed);
    return payload;
  });
}
