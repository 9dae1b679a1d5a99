import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { TaskHandler } from "./types.ts";

/**
 * The reference task, as in the original sample: log the name of a seed-format task. Every task returns
 * `{ received: <its payload> }` as its result; a tasks-format payload too large for the result limit fails the
 * task (ResultTooLargeError), as any large result does. A seed task, which never had a result and must keep
 * succeeding as before, returns `{ received: { bytes, sha256 } }` instead when its name is too large to echo
 * (a name may be 256 KiB, the default limit is 64 KiB). Replace this file with real work.
 * `failRate` and `delayMs` are demo knobs (WORKER_FAIL_RATE, WORKER_DELAY_MS, read through
 * `referenceTaskConfigSchema`): the fraction of runs that fail on purpose, and how long each run takes.
 */
export function referenceTaskHandler(options: {
  failRate: number;
  resultMaxBytes: number;
  delayMs?: number;
}): TaskHandler {
  const { failRate, resultMaxBytes, delayMs = 0 } = options;
  return async (task, { logger, signal }) => {
    if (task.seed) logger.info(`worker received name = ${(task.payload as { name: string }).name}`);
    else logger.info(`worker received task ${task.index}`);
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    if (failRate > 0 && Math.random() < failRate) {
      throw new Error(`simulated failure (WORKER_FAIL_RATE=${failRate})`);
    }
    const echo = JSON.stringify({ received: task.payload });
    if (!task.seed || Buffer.byteLength(echo) <= resultMaxBytes) return { received: task.payload };
    const payload = JSON.stringify(task.payload);
    return {
      received: {
        bytes: Buffer.byteLength(payload),
        sha256: createHash("sha256").update(payload).digest("hex"),
      },
    };
  };
}
