import type { DestinationSender, DiscardCondition } from "./destinations.ts";
import { buildInvocationRecord } from "./destinations.ts";
import type { FunctionRuntime } from "./function.ts";
import type { InvocationResult } from "./types.ts";

/** Lambda waits about 1 min before the first retry and 2 min before the second. */
const RETRY_DELAYS_MS = [60_000, 120_000];
/** Throttled events come back after 1 s, doubling up to 5 min. */
const THROTTLE_FIRST_MS = 1_000;
const THROTTLE_MAX_MS = 300_000;

interface QueuedEvent {
  requestId: string;
  payload: string;
  enqueuedAt: number;
  invokeCount: number;
  throttles: number;
  lastResult: InvocationResult | undefined;
}

export interface AsyncQueueDeps {
  speed: number;
  /** The clock event ages are measured on (wall-clock milliseconds). */
  now: () => number;
  destinations: DestinationSender;
  log: (requestId: string | undefined, text: string) => void;
  emit: (event: string, data: unknown) => void;
  /** Called whenever the queue may have become empty. */
  onSettled: () => void;
}

/**
 * A function's asynchronous event queue: events run under the function's concurrency, function errors are
 * retried `maximumRetryAttempts` times (1 then 2 min), throttles are retried with back-off, and an event
 * that fails for good or outlives `maximumEventAgeSeconds` goes to the on-failure destination. The
 * service's waits (retry delays, throttle back-off) are multiplied by `speed`; the event age is not, because
 * it competes with real handler run times (a scaled age would expire events that merely wait for a slot).
 */
export class AsyncEventQueue {
  private readonly fn: FunctionRuntime;
  private readonly deps: AsyncQueueDeps;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pendingEvents = 0;
  private runningEvents = 0;
  private deliveries = 0;
  private stopped = false;
  private readonly counters = {
    enqueued: 0,
    retried: 0,
    succeeded: 0,
    discarded: 0,
    deliveredToDestination: 0,
    destinationDeliveryFailures: 0,
  };

  constructor(fn: FunctionRuntime, deps: AsyncQueueDeps) {
    this.fn = fn;
    this.deps = deps;
  }

  enqueue(requestId: string, payload: string): void {
    const event: QueuedEvent = {
      requestId,
      payload,
      enqueuedAt: this.deps.now(),
      invokeCount: 0,
      throttles: 0,
      lastResult: undefined,
    };
    this.counters.enqueued += 1;
    this.pendingEvents += 1;
    this.deps.emit("asyncEnqueued", { function: this.fn.name, requestId });
    void this.attempt(event);
  }

  /** True when nothing is queued, waiting for a retry, running, or being sent to a destination. */
  get settled(): boolean {
    return this.pendingEvents === 0 && this.deliveries === 0;
  }

  stats() {
    return { ...this.counters, depth: this.pendingEvents, running: this.runningEvents };
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async attempt(event: QueuedEvent): Promise<void> {
    if (this.stopped) return;
    if (this.expired(event)) return this.discard(event, "EventAgeExceeded");
    // With no concurrency at all, waiting for a slot would never end: Lambda throttles such events.
    if (this.fn.slots.limit === 0 && this.fn.throttledAsync()) return this.throttle(event);
    await this.fn.slots.acquire();
    if (this.stopped) return this.fn.slots.release();
    if (this.expired(event)) {
      this.fn.slots.release();
      return this.discard(event, "EventAgeExceeded");
    }
    if (this.fn.throttledAsync()) {
      this.fn.slots.release();
      return this.throttle(event);
    }
    this.runningEvents += 1;
    let result: InvocationResult;
    try {
      result = (await this.fn.execute(event.requestId, event.payload, "Event")).result;
    } finally {
      this.runningEvents -= 1;
      this.fn.slots.release();
    }
    if (this.stopped) return;
    event.invokeCount += 1;
    event.lastResult = result;
    if (result.kind === "success") {
      this.counters.succeeded += 1;
      return this.finish();
    }
    const retriesAllowed = this.fn.spec.async?.maximumRetryAttempts ?? 2;
    if (event.invokeCount > retriesAllowed) return this.discard(event, "RetriesExhausted");
    this.counters.retried += 1;
    const delay = RETRY_DELAYS_MS[event.invokeCount - 1] ?? RETRY_DELAYS_MS[1] ?? 120_000;
    this.deps.emit("asyncRetry", {
      function: this.fn.name,
      requestId: event.requestId,
      attempt: event.invokeCount,
    });
    this.later(event, delay);
  }

  private throttle(event: QueuedEvent): void {
    const delay = Math.min(THROTTLE_FIRST_MS * 2 ** event.throttles, THROTTLE_MAX_MS);
    event.throttles += 1;
    this.deps.emit("asyncThrottled", { function: this.fn.name, requestId: event.requestId });
    this.later(event, delay);
  }

  private later(event: QueuedEvent, awsDelayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(event);
    }, awsDelayMs * this.deps.speed);
    this.timers.add(timer);
  }

  private expired(event: QueuedEvent): boolean {
    const maxAgeSeconds = this.fn.spec.async?.maximumEventAgeSeconds ?? 21_600;
    return this.deps.now() - event.enqueuedAt > maxAgeSeconds * 1000;
  }

  private async discard(event: QueuedEvent, condition: DiscardCondition): Promise<void> {
    this.counters.discarded += 1;
    const queueUrl = this.fn.spec.async?.onFailureQueueUrl;
    this.deps.emit("asyncDiscarded", { function: this.fn.name, requestId: event.requestId, condition });
    if (queueUrl === undefined) {
      this.deps.log(event.requestId, `Event discarded (${condition}); no on-failure destination configured`);
      return this.finish();
    }
    const record = buildInvocationRecord({
      requestId: event.requestId,
      functionArn: this.fn.arn,
      condition,
      invokeCount: event.invokeCount,
      payload: event.payload,
      lastResult: event.lastResult,
    });
    this.deliveries += 1;
    this.pendingEvents -= 1;
    try {
      await this.deps.destinations.send(queueUrl, record);
      this.counters.deliveredToDestination += 1;
      this.deps.emit("destinationDelivered", {
        function: this.fn.name,
        requestId: event.requestId,
        queueUrl,
      });
    } catch (error) {
      this.counters.destinationDeliveryFailures += 1;
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.log(event.requestId, `Could not deliver invocation record to ${queueUrl}: ${reason}`);
    } finally {
      this.deliveries -= 1;
      this.deps.onSettled();
    }
  }

  private finish(): void {
    this.pendingEvents -= 1;
    this.deps.onSettled();
  }
}
