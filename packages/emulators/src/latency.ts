import type { Server } from "node:http";

/**
 * Holds every request `ms` milliseconds before the server's own handlers see it: a fixed network round
 * trip, so that sequential calls cost locally what they cost against AWS (~10 ms in-region). Requests are
 * delayed independently (in parallel), as on a real network. The body is not lost meanwhile: an
 * `IncomingMessage` buffers until a handler starts reading it.
 */
export function delayRequests(server: Server, ms: number): void {
  if (!(ms > 0)) return;
  const handlers = server.listeners("request") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("request");
  server.on("request", (...args: unknown[]) => {
    setTimeout(() => {
      for (const handler of handlers) handler.apply(server, args);
    }, ms);
  });
}
