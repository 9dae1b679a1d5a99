import { buildApp } from "fauxqs";
import { fauxqsStores } from "./fauxqs-internals.ts";
import { rejectInvalidReceiptHandles } from "./fauxqs-receipts.ts";
import { dedupFifoTopics } from "./fauxqs-sns-dedup.ts";
import { delayRequests } from "./latency.ts";

export interface StartSqsOptions {
  /** Interface to bind; default 127.0.0.1 (never all interfaces: the emulator has no authentication). */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Fixed delay added to every request before it is handled (a network round trip); default 0. */
  latencyMs?: number;
}

export interface RunningEmulator {
  /** `http://host:port`, usable as an SDK `endpoint` or `AWS_ENDPOINT_URL_*`. */
  endpoint: string;
  port: number;
  /** Holds every request arriving in the next `ms` until then, as if the server were frozen (chaos runs). */
  pause(ms: number): void;
  /** Closes the server and every open connection; the port is free when this resolves. */
  stop(): Promise<void>;
}

/**
 * Starts an in-memory SQS emulator (fauxqs, AWS JSON protocol) that logs nothing. The same server answers
 * SNS (Query protocol) on the same endpoint: topics, SQS subscriptions, Publish (FIFO topics deduplicate as
 * on SNS, see fauxqs-sns-dedup.ts).
 *
 * We use fauxqs' `buildApp` instead of `startFauxqs`: `startFauxqs` always listens on 0.0.0.0 and reads
 * `FAUXQS_*` environment variables (init file, logger); `buildApp` lets us bind exactly `host`, keeps the
 * server independent of the environment, and takes the corrected stores of `fauxqs-internals.ts`.
 * See docs/decisions/0300-local-emulators.md.
 */
export async function startSqs(options: StartSqsOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? "127.0.0.1";
  const stores = (await fauxqsStores())();
  const app = buildApp({ logger: false, stores });
  rejectInvalidReceiptHandles(app);
  dedupFifoTopics(app, stores.snsStore);
  const gate = delayRequests(app.server, options.latencyMs ?? 0);
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") {
    await app.close();
    throw new Error("fauxqs did not report a TCP address");
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${urlHost(host)}:${address.port}`,
    port: address.port,
    pause: (ms) => gate.pause(ms),
    stop() {
      // fauxqs builds Fastify with forceCloseConnections, so keep-alive sockets are closed too.
      stopped ??= app.close().then(() => undefined);
      return stopped;
    },
  };
}

/** IPv6 literals need brackets inside a URL. */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
