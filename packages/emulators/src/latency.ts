import type { Server } from "node:http";

/**
 * Holds every request `ms` milliseconds before the server's own handlers see it (and, during a pause, until
 * the pause ends): a fixed network round trip, so that sequential calls cost locally what they cost against AWS (~10 ms in-region). Requests are
 * delayed independently (in parallel), as on a real network. The body is not lost meanwhile: an
 * `IncomingMessage` buffers until a handler starts reading it.
 */
export function delayRequests(server: Server, ms: number): { pause(ms: number): void } {
  const handlers = server.listeners("request") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("request");
  let resumeAt = 0;
  server.on("request", (...args: unknown[]) => {
    const run = () => {
      for (const handler of handlers) handler.apply(server, args);
    };
    const wait = Math.max(ms, resumeAt - Date.now());
    if (wait > 0) setTimeout(run, wait);
    else run();
  });
  return {
    /** Holds every request that arrives in the next `forMs` until then: the server seems frozen. */
    pause(forMs: number) {
      resumeAt = Math.max(resumeAt, Date.now() + forMs);
    },
  };
}
