import { EventEmitter } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

// The real clock, taken before any schedule fakes Date: an answer's date header is the wall time, as over HTTP.
const RealDate = Date;

export interface DirectAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Hands requests to dynalite's HTTP handler as its server would (the same request and answer, headers
 * included), without a socket: the explorer's requests are POSTs with a whole JSON body.
 */
export function directHandler(
  server: Server,
  endpoint: string,
): (headers: Record<string, string>, body: string) => Promise<DirectAnswer> {
  // dynalite's handler (behind the latency gate, which passes a request straight on at 0 ms).
  const [listener] = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (!listener) throw new Error("dynalite has no request listener");
  const host = new URL(endpoint).host;
  return (requestHeaders, body) =>
    new Promise((resolve) => {
      const req = new EventEmitter() as EventEmitter & Record<string, unknown>;
      req.method = "POST";
      req.url = "/";
      const bytes = Buffer.from(body, "utf8");
      // The headers Node's HTTP client adds, as dynalite saw them over the socket.
      req.headers = {
        ...requestHeaders,
        host,
        connection: "keep-alive",
        "content-length": String(bytes.length),
      };
      const headers: Record<string, string> = {};
      const res = {
        statusCode: 200,
        setHeader(name: string, value: unknown) {
          headers[name.toLowerCase()] = String(value);
        },
        end(text?: string) {
          // The headers Node's HTTP server adds to each answer.
          headers.date ??= new RealDate().toUTCString();
          headers.connection ??= "keep-alive";
          headers["keep-alive"] ??= "timeout=5";
          resolve({ status: res.statusCode, headers, body: text ?? "" });
        },
      };
      listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      req.emit("data", bytes);
      req.emit("end");
    });
}
