import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LambdaApiError, UnknownOperationError } from "./errors.ts";

/** Bodies past this are not kept (the largest legal one, a synchronous invoke, is 6 MiB). */
const MAX_BUFFERED_BYTES = 6_291_456;

export interface ApiRequest {
  requestId: string;
  functionName: string;
  qualifier: string | null;
  headers: IncomingMessage["headers"];
  /** The body, or undefined when it was larger than we buffer (its size is in `bodyBytes`). */
  body: Buffer | undefined;
  bodyBytes: number;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export type InvokeHandler = (request: ApiRequest) => Promise<ApiResponse>;

const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const accountSettingsPath = /^\/2016-08-19\/account-settings\/?$/;
const concurrencyPath = /^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/;

/** The read-only account APIs a deploy preflight calls (`fanout doctor`): GetAccountSettings, GetFunctionConcurrency. */
export interface AccountApi {
  accountSettings(): Record<string, unknown>;
  /** The function's reserved concurrency (`{}` when none); throws ResourceNotFoundError for an unknown name. */
  functionConcurrency(name: string): Record<string, unknown>;
}

/**
 * The HTTP face of the service: routes `POST /2015-03-31/functions/{name}/invocations` to `invoke`,
 * answers everything else with `UnknownOperationException`, and renders `LambdaApiError`s the way the
 * restJson1 protocol expects. Signatures are not checked.
 */
export function createLambdaServer(
  invoke: InvokeHandler,
  options: { latencyMs?: number; account?: AccountApi } = {},
): Server {
  const latencyMs = options.latencyMs ?? 0;
  return createServer((req, res) => {
    // A fixed network round trip (the body buffers meanwhile); requests wait independently, in parallel.
    if (latencyMs > 0) setTimeout(() => serve(req, res, invoke, options.account), latencyMs);
    else serve(req, res, invoke, options.account);
  });
}

function serve(req: IncomingMessage, res: ServerResponse, invoke: InvokeHandler, account?: AccountApi): void {
  const requestId = randomUUID();
  void handle(req, res, requestId, invoke, account).catch((error: unknown) => {
    const apiError =
      error instanceof LambdaApiError
        ? error
        : new LambdaApiError(
            500,
            "ServiceException",
            error instanceof Error ? error.message : String(error),
            { type: "Service" },
            { cause: error },
          );
    send(res, requestId, errorResponse(apiError));
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  invoke: InvokeHandler,
  account?: AccountApi,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const match = invokePath.exec(url.pathname);
  const { body, bytes } = await readBody(req);
  const json = (value: Record<string, unknown>) =>
    send(res, requestId, {
      statusCode: 200,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(value),
    });
  if (account && req.method === "GET" && accountSettingsPath.test(url.pathname))
    return json(account.accountSettings());
  const concurrency = concurrencyPath.exec(url.pathname);
  if (account && req.method === "GET" && concurrency?.[1] !== undefined)
    return json(account.functionConcurrency(decodeURIComponent(concurrency[1])));
  if (req.method !== "POST" || match?.[1] === undefined) {
    throw new UnknownOperationError(req.method ?? "?", url.pathname);
  }
  const response = await invoke({
    requestId,
    functionName: decodeURIComponent(match[1]),
    qualifier: url.searchParams.get("Qualifier"),
    headers: req.headers,
    body,
    bodyBytes: bytes,
  });
  send(res, requestId, response);
}

export function errorResponse(error: LambdaApiError): ApiResponse {
  return {
    statusCode: error.statusCode,
    headers: {
      "Content-Type": "application/json",
      "x-amzn-ErrorType": error.errorType,
      ...error.extraHeaders,
    },
    body: error.body(),
  };
}

function send(res: ServerResponse, requestId: string, response: ApiResponse): void {
  if (res.headersSent) return;
  const body = typeof response.body === "string" ? Buffer.from(response.body, "utf8") : response.body;
  res.writeHead(response.statusCode, {
    ...response.headers,
    "x-amzn-RequestId": requestId,
    "Content-Length": String(body.length),
  });
  res.end(body);
}

/** Reads the whole body; past MAX_BUFFERED_BYTES it only counts, so a too-large request still gets its 413. */
function readBody(req: IncomingMessage): Promise<{ body: Buffer | undefined; bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BUFFERED_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () =>
      resolve({ body: bytes <= MAX_BUFFERED_BYTES ? Buffer.concat(chunks) : undefined, bytes }),
    );
    req.on("error", reject);
  });
}

/** Starts listening; resolves with the bound port (useful with port 0). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, drops idle keep-alive connections and resolves once the port is free. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
