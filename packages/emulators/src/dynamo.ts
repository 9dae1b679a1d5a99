/// <reference path="./dynalite.d.ts" />
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import { type ChangeSink, reportItemChanges } from "./dynalite-changes.ts";
import { returnOldItemOnConditionFailure } from "./dynalite-internals.ts";
import { cacheExpressionParses } from "./dynalite-parse-cache.ts";
import { delayRequests } from "./latency.ts";
import { type RunningEmulator, urlHost } from "./sqs.ts";

export interface StartDynamoOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** LevelDB directory: tables and items survive a stop/start. In memory when omitted. */
  dataDir?: string;
  /** Fixed delay added to every request before it is handled (a network round trip); default 0. */
  latencyMs?: number;
  /**
   * Receives every committed write of an item, with its old and new image, in commit order (the local
   * stand-in for a table's stream; dynalite-changes.ts). None when omitted.
   */
  onChange?: ChangeSink;
}

/** Starts a DynamoDB emulator (dynalite; in memory, or on disk with `dataDir`). Tables turn ACTIVE on the next timer tick: wait for them (createResources does). */
export async function startDynamo(
  options: StartDynamoOptions = {},
): Promise<RunningEmulator & { server: Server }> {
  const host = options.host ?? "127.0.0.1";
  returnOldItemOnConditionFailure();
  cacheExpressionParses();
  reportItemChanges();
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const server = dynalite({
    ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.onChange ? { changeSink: options.onChange } : {}),
  });
  const gate = delayRequests(server, options.latencyMs ?? 0);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    /** dynalite's HTTP server (the explorer hands it requests without a socket). */
    server,
    endpoint: `http://${urlHost(host)}:${port}`,
    port,
    pause: (ms) => gate.pause(ms),
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        // dynalite's close() stops listening, then closes LevelDB (flushing it when on disk).
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections from SDK clients would hold close() open until they time out.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
