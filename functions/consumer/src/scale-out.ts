import type { Logger } from "@fanout/core";
import { invokeAsync, type LambdaClient } from "@fanout/invoker";
import { type DedupStore, liveRunSlots, releaseRunSlot, takeRunSlot } from "@fanout/job-state";
import { queueDepth, type SQSClient } from "@fanout/queue";
import { z } from "zod";

/** Consumer scale-out (ADR 0013): how many runs at once, and when to start another. */
export interface ScaleOutDeps {
  /** Most consumer runs draining at once (settings `consumer.max_parallel`). */
  maxParallel: number;
  /** Visible messages per run before another run is started (`consumer.scale_out_backlog`). */
  backlogPerRun: number;
  /** This function's own name (AWS_LAMBDA_FUNCTION_NAME): more runs are async invokes of it. */
  selfFunctionName: string;
  lambda: LambdaClient;
  /** How often the lowest running slot looks at the backlog. @default 5000 */
  checkEveryMs?: number;
}

/**
 * A run's event: a run started by scale-out names its slot; the schedule (`{"source": "fanout.schedule"}`),
 * a nudge (`{}`) or a hand-invoke takes the first free one.
 */
const runEventSchema = z.looseObject({
  runSlot: z
    .number({ error: "runSlot must be a whole number" })
    .int("runSlot must be a whole number")
    .min(0)
    .optional(),
});

export class InvalidRunEventError extends Error {
  constructor(message: string) {
    super(`invalid consumer event: ${message}`);
    this.name = "InvalidRunEventError";
  }
}

/** The slot a run's event asks for, if any; throws {@link InvalidRunEventError} for a malformed one. */
export function requestedSlot(event: unknown, maxParallel: number): number | undefined {
  if (event === null || typeof event !== "object") return undefined;
  const parsed = runEventSchema.safeParse(event);
  if (!parsed.success) throw new InvalidRunEventError(z.prettifyError(parsed.error));
  const slot = parsed.data.runSlot;
  if (slot !== undefined && slot >= maxParallel)
    throw new InvalidRunEventError(`runSlot ${slot} is not below max_parallel (${maxParallel})`);
  return slot;
}

/**
 * Takes a run slot: the one asked for, or else the lowest free one. Undefined when none could be taken:
 * `max_parallel` runs are draining already, and this run ends without receiving.
 */
export async function takeSlot(
  store: DedupStore,
  scale: ScaleOutDeps,
  requested: number | undefined,
  owner: string,
  leaseMs: number,
): Promise<number | undefined> {
  const pool = scale.selfFunctionName;
  if (requested !== undefined)
    return (await takeRunSlot(store, pool, requested, owner, leaseMs)) ? requested : undefined;
  const live = await liveRunSlots(store, pool, scale.maxParallel);
  for (let k = 0; k < scale.maxParallel; k++) {
    if (!live.has(k) && (await takeRunSlot(store, pool, k, owner, leaseMs))) return k;
  }
  return undefined;
}

/** Frees the run's slot at its end. */
export function releaseSlot(store: DedupStore, scale: ScaleOutDeps, slot: number, owner: string) {
  return releaseRunSlot(store, scale.selfFunctionName, slot, owner);
}

export interface Scaler {
  /** Stops looking at the backlog; resolves with how many runs this run started. */
  stop(): Promise<number>;
}

/**
 * While the run drains, the run holding the lowest live slot looks at the queue every few seconds and
 * starts runs for free slots until there is one per `backlogPerRun` visible messages (at most
 * `maxParallel`). Runs end by themselves when the queue is drained (an empty receive after a full wait), so
 * scaling in needs nothing. A slot started less than a minute ago is not started again.
 */
export function startScaler(
  deps: { store: DedupStore; sqs: SQSClient; tasksQueueUrl: string; logger: Logger },
  scale: ScaleOutDeps,
  slot: number,
): Scaler {
  let stopped = false;
  let launched = 0;
  const startedAt = new Map<number, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const check = async () => {
    const depth = await queueDepth(deps.sqs, deps.tasksQueueUrl);
    const want = Math.min(scale.maxParallel, Math.ceil(depth.visible / scale.backlogPerRun));
    const live = await liveRunSlots(deps.store, scale.selfFunctionName, scale.maxParallel);
    live.add(slot);
    // Only the lowest live slot scales, so that runs do not race each other to start the same slot.
    if (Math.min(...live) !== slot || live.size >= want) return;
    const now = Date.now();
    const free = Array.from({ length: scale.maxParallel }, (_, k) => k)
      .filter((k) => !live.has(k) && now - (startedAt.get(k) ?? Number.NEGATIVE_INFINITY) > 60_000)
      .slice(0, want - live.size);
    await Promise.all(
      free.map(async (k) => {
        startedAt.set(k, now);
        try {
          await invokeAsync(scale.lambda, scale.selfFunctionName, JSON.stringify({ runSlot: k }));
          launched += 1;
        } catch (error) {
          deps.logger.warn("could not start a consumer run; the next check tries again", {
            runSlot: k,
            error: String(error),
          });
          startedAt.delete(k);
        }
      }),
    );
    if (free.length > 0) deps.logger.info("consumer runs started", { visible: depth.visible, slots: free });
  };
  const loop = (async () => {
    while (!stopped) {
      await check().catch((error: unknown) =>
        deps.logger.warn("scale-out check failed; the next one tries again", { error: String(error) }),
      );
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, scale.checkEveryMs ?? 5_000);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
      return launched;
    },
  };
}
