import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type {
  HttpHandlerOptions,
  HttpRequest,
  HttpResponse,
  MiddlewareStack,
  RequestHandler,
} from "@smithy/types";

export interface ClientOptions {
  /** Keep-alive sockets per client. @default 128 */
  maxSockets?: number;
  /** Attempts per request, the first included, by the SDK's standard retry strategy. @default 3 */
  maxAttempts?: number;
  /** A request with no answer after this long fails (and is retried) instead of hanging. @default 30000 */
  requestTimeoutMs?: number;
  /**
   * Sends the HTTP requests instead of the SDK's Node handler; the fault explorer passes its simulated AWS
   * here, so everything above the wire (serialisation, retries, the code under test) runs as it ships.
   */
  requestHandler?: RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
}

/**
 * Options shared by every AWS client: keep-alive sockets sized for the dispatch concurrency (the
 * default pool of 50 would queue requests), and the SDK's standard retry strategy. Endpoints and
 * region come from the SDK's own settings (AWS_REGION, AWS_ENDPOINT_URL_SQS, ...), so the same code
 * runs against AWS, LocalStack or the local stack.
 */
export function clientOptions(options: ClientOptions = {}) {
  const maxSockets = options.maxSockets ?? 128;
  return {
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: options.requestHandler ?? {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      // Without this, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes and the
      // request hangs on until the Lambda's own timeout.
      throwOnRequestTimeout: true,
    },
  };
}

/** Counts of AWS requests by `Service.Operation`, e.g. `{"SQS.SendMessageBatch": 100}`. */
export type RequestCounts = Record<string, number>;

/** Requests made by this process since it started (or since {@link resetRequestCounts}). */
const counts: RequestCounts = {};

export function requestCounts(): RequestCounts {
  return { ...counts };
}

export function resetRequestCounts(): void {
  for (const key of Object.keys(counts)) delete counts[key];
}

/**
 * Adds a middleware that counts every request a client sends, retries included (it runs per attempt,
 * in the finalize step), so reported figures are measured, not estimated.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's stacks differ per client; only `add` is used.
export function countRequests<T extends { middlewareStack: MiddlewareStack<any, any> }>(
  client: T,
  service: string,
): T {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = `${service}.${String(context.commandName ?? "unknown").replace(/Command$/, "")}`;
      counts[key] = (counts[key] ?? 0) + 1;
      return next(args);
    },
    { step: "finalizeRequest", name: "fanoutRequestCounter", override: true },
  );
  return client;
}
