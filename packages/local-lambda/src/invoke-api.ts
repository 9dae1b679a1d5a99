import { functionArn, parseFunctionRef } from "./arn.ts";
import type { AsyncEventQueue } from "./async-queue.ts";
import {
  InvalidParameterValueError,
  InvalidRequestContentError,
  RequestTooLargeError,
  ResourceNotFoundError,
} from "./errors.ts";
import type { FunctionRuntime } from "./function.ts";
import type { ApiRequest, ApiResponse, InvokeHandler } from "./http-server.ts";

/** Request payload limits as Lambda counts them: bytes of the HTTP body. */
export const SYNC_PAYLOAD_LIMIT = 6_291_456;
export const ASYNC_PAYLOAD_LIMIT = 1_048_576;

const invocationTypes = new Set(["RequestResponse", "Event", "DryRun"]);

export interface InvokeApiDeps {
  region: string;
  accountId: string;
  lookup: (name: string) => { fn: FunctionRuntime; queue: AsyncEventQueue } | undefined;
}

/** The Invoke operation: validates the request as Lambda does, then runs, queues or dry-runs it. */
export function createInvokeHandler(deps: InvokeApiDeps): InvokeHandler {
  return async (request: ApiRequest): Promise<ApiResponse> => {
    const ref = parseFunctionRef(request.functionName, request.qualifier);
    const invocationType = header(request, "x-amz-invocation-type") ?? "RequestResponse";
    if (!invocationTypes.has(invocationType)) {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
      );
    }
    checkSize(invocationType, request.bodyBytes);
    const target = deps.lookup(ref.name);
    if (target === undefined || (ref.qualifier !== undefined && ref.qualifier !== "$LATEST")) {
      throw new ResourceNotFoundError(functionArn(deps.region, deps.accountId, ref.name, ref.qualifier));
    }
    const payload = parsePayload(request.body);

    if (invocationType === "DryRun") return { statusCode: 204, headers: {}, body: "" };
    if (invocationType === "Event") {
      target.queue.enqueue(request.requestId, payload);
      return { statusCode: 202, headers: {}, body: "" };
    }

    const { fn } = target;
    const throttled = fn.admitSync();
    if (throttled !== undefined) throw throttled;
    let execution: Awaited<ReturnType<FunctionRuntime["execute"]>>;
    try {
      execution = await fn.execute(request.requestId, payload, "RequestResponse", clientContext(request));
    } finally {
      fn.slots.release();
    }
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Amz-Executed-Version": "$LATEST",
    };
    if (header(request, "x-amz-log-type") === "Tail") headers["X-Amz-Log-Result"] = execution.logTail;
    const { result } = execution;
    if (result.kind === "success") return { statusCode: 200, headers, body: result.payload };
    headers["X-Amz-Function-Error"] = "Unhandled";
    return { statusCode: 200, headers, body: JSON.stringify(result.error) };
  };
}

function header(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function checkSize(invocationType: string, bytes: number): void {
  if (invocationType === "Event" && bytes > ASYNC_PAYLOAD_LIMIT) {
    throw new RequestTooLargeError(
      `${bytes} byte payload is too large for the Event invocation type (limit ${ASYNC_PAYLOAD_LIMIT} bytes)`,
    );
  }
  if (bytes > SYNC_PAYLOAD_LIMIT) {
    throw new RequestTooLargeError(
      `Request must be smaller than ${SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`,
    );
  }
}

/** An empty body is the event `{}` (as on Lambda); anything else must be JSON. */
function parsePayload(body: Buffer | undefined): string {
  const text = body === undefined || body.length === 0 ? "{}" : body.toString("utf8");
  try {
    JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestContentError(
      `Could not parse request body into json: Could not parse payload into json: ${detail}`,
      { cause: error },
    );
  }
  return text;
}

/** `X-Amz-Client-Context` is base64 JSON; the handler sees it parsed as `context.clientContext`. */
function clientContext(request: ApiRequest): unknown {
  const raw = header(request, "x-amz-client-context");
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
  } catch (error) {
    throw new InvalidRequestContentError("Client context must be a valid Base64-encoded JSON object.", {
      cause: error,
    });
  }
}
