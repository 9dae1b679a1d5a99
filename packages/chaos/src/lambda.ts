import type { LambdaContext } from "@fanout/core";
import { jsonError } from "./dynamo.ts";
import type { Answer, Request, Service } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { SqsModel } from "./sqs.ts";
import type { Actor, World } from "./world.ts";

export interface SimFunction {
  name: string;
  kind: Actor["kind"];
  timeoutSeconds: number;
  /** Asynchronous invocation settings (PutFunctionEventInvokeConfig). */
  async: { maximumRetryAttempts: number; maximumEventAgeSeconds: number; onFailureQueueUrl?: string };
  handler: (event: unknown, context: LambdaContext) => Promise<unknown>;
}

/** Lambda's own misbehaviour, drawn per event by the fault plan. */
export interface EventFaults {
  /** Extra wait before the event is first delivered (a backlog, throttling); may outlast the event age. */
  deliveryDelayMs: number;
  /** Deliver the same event (same request id) again this long after the first delivery, if set. */
  duplicateAfterMs?: number;
  /** Deliver the event again under a new request id, this long after the first delivery, if set. */
  duplicateNewIdAfterMs?: number;
  /**
   * A late event held until another invoke with the same payload reaches Lambda (a redispatch of its task),
   * then delivered at once, while that invoke is answered: the stale event overtakes its redispatch. Delivered
   * after `deliveryDelayMs` or 90 % of the maximum event age, whichever is later, if none comes.
   */
  untilRedispatch?: boolean;
}

export interface InvocationFaults {
  /** The function fails at cold start (init error) instead of running the handler. */
  initFailure: boolean;
  /** The host's clock is this far off (NTP keeps Lambda hosts within milliseconds; we allow a second). */
  skewMs: number;
  /** The process dies this long into the run, if set. */
  crashAfterMs?: number;
}

export interface LambdaObserver {
  accepted(fn: string, requestId: string, payload: string, caller: Actor | undefined): void;
  started(fn: string, requestId: string, actor: Actor, payload: string): void;
  ended(fn: string, requestId: string, actor: Actor, outcome: "success" | "error"): void;
  discarded(fn: string, requestId: string, condition: string): void;
}

export interface LambdaFaultSource {
  /** `unrecorded`: its invoker got no answer or died after the call, so it recorded no dispatch. */
  event: (fn: SimFunction, unrecorded: boolean) => EventFaults;
  invocation: (fn: SimFunction) => InvocationFaults;
}

interface QueuedEvent {
  requestId: string;
  payload: string;
  enqueuedAt: number;
  invokeCount: number;
  lastError: { errorType: string; errorMessage: string } | undefined;
  done: boolean;
}

/**
 * Lambda as documented for asynchronous invocation: an accepted event (202) is queued and delivered at
 * least once (duplicates, with the same or a new request id), retried after about 1 and 2 minutes on error,
 * discarded when older than the maximum event age, and then recorded in the on-failure destination.
 * Every invocation is an actor with an honest `getRemainingTimeInMillis()`, killed at its timeout.
 */
export class LambdaModel implements Service {
  readonly name = "lambda" as const;
  private readonly functions = new Map<string, SimFunction>();
  private readonly queued = new Set<QueuedEvent>();
  private nextRequest = 0;
  private running = 0;
  /** Late events waiting for a redispatch of their payload ({@link EventFaults.untilRedispatch}). */
  private readonly held = new Map<string, { sdkCall: string | undefined; deliver: () => void }[]>();

  private readonly world: World;
  private readonly sqs: SqsModel;
  private readonly prng: Prng;
  private readonly faults: LambdaFaultSource;
  private readonly observer: LambdaObserver;

  constructor(world: World, sqs: SqsModel, prng: Prng, faults: LambdaFaultSource, observer: LambdaObserver) {
    this.world = world;
    this.sqs = sqs;
    this.prng = prng;
    this.faults = faults;
    this.observer = observer;
  }

  register(fn: SimFunction): void {
    this.functions.set(fn.name, fn);
  }

  /** Events accepted and not yet finished (delivered with success, or discarded). */
  busy(): boolean {
    return this.running > 0 || [...this.queued].some((e) => !e.done);
  }

  errorAnswer(kind: "throttle" | "server"): Answer {
    return kind === "throttle"
      ? jsonError(429, "TooManyRequestsException", "Rate Exceeded.", { "retry-after": "1" })
      : jsonError(500, "ServiceException", "Lambda encountered an internal error.");
  }

  async serve(request: Request): Promise<Answer> {
    const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations$/.exec(request.path)?.[1] ?? "");
    const fn = this.functions.get(name);
    if (!fn) return jsonError(404, "ResourceNotFoundException", `Function not found: ${name}`);
    if ((request.headers["x-amz-invocation-type"] ?? "RequestResponse") !== "Event") {
      return jsonError(400, "InvalidParameterValueException", "the simulation takes Event invocations only");
    }
    const requestId = this.newRequestId();
    this.observer.accepted(fn.name, requestId, request.body, request.caller);
    // An answer lost, or a caller dying after the call: the caller cannot record the dispatch.
    this.enqueue(
      fn,
      requestId,
      request.body,
      request.fault === "lost" || request.fault === "crash-after",
      request.headers["amz-sdk-invocation-id"],
    );
    return { status: 202, headers: { "x-amzn-requestid": requestId }, body: "" };
  }

  /** A synchronous invoke (the submitter calling main): runs one invocation and returns what it returned. */
  async invokeSync(
    name: string,
    payload: unknown,
  ): Promise<{ ok: true; value: unknown } | { ok: false; errorType: string }> {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no simulated function ${name}`);
    return this.invoke(fn, this.newRequestId(), JSON.stringify(payload));
  }

  /** Queues an event as the scheduler (EventBridge Scheduler) or any async caller does. */
  enqueueEvent(name: string, payload: string): string {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no simulated function ${name}`);
    const requestId = this.newRequestId();
    this.enqueue(fn, requestId, payload);
    return requestId;
  }

  private newRequestId(): string {
    return `req-${(this.nextRequest++).toString().padStart(6, "0")}`;
  }

  private enqueue(
    fn: SimFunction,
    requestId: string,
    payload: string,
    unrecorded = false,
    sdkCall: string | undefined = undefined,
  ): void {
    const event: QueuedEvent = {
      requestId,
      payload,
      enqueuedAt: this.world.now(),
      invokeCount: 0,
      lastError: undefined,
      done: false,
    };
    this.queued.add(event);
    const f = this.faults.event(fn, unrecorded);
    let delivered = false;
    const deliver = (): void => {
      if (delivered) return;
      delivered = true;
      const still = this.held.get(heldKey(payload))?.filter((h) => h.deliver !== deliver) ?? [];
      if (still.length > 0) this.held.set(heldKey(payload), still);
      else this.held.delete(heldKey(payload));
      void this.attempt(fn, event, event.requestId);
      if (f.duplicateAfterMs !== undefined)
        setTimeout(() => void this.duplicate(fn, event, event.requestId), f.duplicateAfterMs);
      if (f.duplicateNewIdAfterMs !== undefined)
        setTimeout(() => void this.duplicate(fn, event, this.newRequestId()), f.duplicateNewIdAfterMs);
    };
    if (f.untilRedispatch)
      this.held.set(heldKey(payload), [...(this.held.get(heldKey(payload)) ?? []), { sdkCall, deliver }]);
    // A held event waits for a redispatch up to most of its maximum age (a redispatch after a crashed
    // dispatcher waits for the queue's visibility timeout), then runs anyway.
    const ageMs = fn.async.maximumEventAgeSeconds * 1000;
    setTimeout(deliver, f.untilRedispatch ? Math.max(f.deliveryDelayMs, 0.9 * ageMs) : f.deliveryDelayMs);
  }

  /**
   * An invoke leaving for Lambda: delivers the late events held for its payload (true if there were), unless
   * it is an SDK retry of the call that queued them (the same dispatch, not a redispatch).
   */
  arriving(request: Request): boolean {
    const sdkCall = request.headers["amz-sdk-invocation-id"];
    const waiting = this.held
      .get(heldKey(request.body))
      ?.filter((h) => sdkCall === undefined || h.sdkCall !== sdkCall);
    if (!waiting?.length) return false;
    this.held.set(
      heldKey(request.body),
      (this.held.get(heldKey(request.body)) ?? []).filter((h) => !waiting.includes(h)),
    );
    for (const { deliver } of waiting) setTimeout(deliver, 0);
    return true;
  }

  /** A duplicate delivery: runs once, its outcome changes nothing about the event's retries. */
  private async duplicate(fn: SimFunction, event: QueuedEvent, requestId: string): Promise<void> {
    this.running += 1;
    try {
      await this.invoke(fn, requestId, event.payload);
    } finally {
      this.running -= 1;
    }
  }

  private async attempt(fn: SimFunction, event: QueuedEvent, requestId: string): Promise<void> {
    if (this.world.now() - event.enqueuedAt > fn.async.maximumEventAgeSeconds * 1000) {
      return this.discard(fn, event, "EventAgeExceeded");
    }
    this.running += 1;
    let result: Awaited<ReturnType<LambdaModel["invoke"]>>;
    try {
      result = await this.invoke(fn, requestId, event.payload);
    } finally {
      this.running -= 1;
    }
    event.invokeCount += 1;
    if (result.ok) {
      event.done = true;
      this.queued.delete(event);
      return;
    }
    event.lastError = { errorType: result.errorType, errorMessage: result.errorMessage };
    if (event.invokeCount > fn.async.maximumRetryAttempts) return this.discard(fn, event, "RetriesExhausted");
    // About 1 minute before the first retry, 2 before the second. "About": Lambda documents no lower bound,
    // and no code may rely on the wait for its safety or for getting on. One retry in five comes early (20 s
    // up to 2 s short of the wait), so a lease of a minute (main's enqueue step) is still live when the retry
    // of the step that died holding it arrives (issue 18, mutant 26); the rest 2 s early to 10 s late.
    const early = this.prng.chance(0.2);
    const jitter = early
      ? this.prng.int(20_000 - 60_000 * event.invokeCount, -2_000)
      : this.prng.int(-2_000, 10_000);
    const delay = 60_000 * event.invokeCount + jitter;
    setTimeout(() => void this.attempt(fn, event, requestId), delay);
  }

  private discard(
    fn: SimFunction,
    event: QueuedEvent,
    condition: "RetriesExhausted" | "EventAgeExceeded",
  ): void {
    event.done = true;
    this.queued.delete(event);
    this.observer.discarded(fn.name, event.requestId, condition);
    const url = fn.async.onFailureQueueUrl;
    if (!url) return;
    const record = {
      version: "1.0",
      timestamp: new Date(this.world.now()).toISOString(),
      requestContext: {
        requestId: event.requestId,
        functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${fn.name}:$LATEST`,
        condition,
        approximateInvokeCount: event.invokeCount,
      },
      requestPayload: JSON.parse(event.payload),
      responseContext: {
        statusCode: event.lastError ? 200 : 429,
        executedVersion: "$LATEST",
        ...(event.lastError ? { functionError: "Unhandled" } : {}),
      },
      ...(event.lastError ? { responsePayload: event.lastError } : {}),
    };
    this.sqs.put(url, JSON.stringify(record));
  }

  /** One invocation in its own process (actor): killed at its timeout or by an injected crash. */
  private async invoke(
    fn: SimFunction,
    requestId: string,
    payload: string,
  ): Promise<{ ok: true; value: unknown } | { ok: false; errorType: string; errorMessage: string }> {
    const f = this.faults.invocation(fn);
    const deadline = this.world.now() + fn.timeoutSeconds * 1000;
    const context: LambdaContext = {
      awsRequestId: requestId,
      functionName: fn.name,
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.world.now()),
    };
    const { actor, result } = this.world.spawn(
      fn.kind,
      requestId,
      async () => {
        if (f.initFailure) {
          const e = new Error("Init failed (injected)");
          e.name = "Runtime.InitError";
          throw e;
        }
        return fn.handler(JSON.parse(payload), context);
      },
      f.skewMs,
    );
    this.observer.started(fn.name, requestId, actor, payload);
    const timers = [
      setTimeout(() => this.world.kill(actor, "timed out"), fn.timeoutSeconds * 1000),
      ...(f.crashAfterMs === undefined
        ? []
        : [setTimeout(() => this.world.kill(actor, "crashed (injected)"), f.crashAfterMs)]),
    ];
    const outcome = await Promise.race([
      result.then(
        (value) => ({ ok: true as const, value }),
        (e: unknown) => ({
          ok: false as const,
          errorType: (e as Error)?.name ?? "Error",
          errorMessage: (e as Error)?.message ?? String(e),
        }),
      ),
      actor.died.then(() => ({
        ok: false as const,
        errorType: actor.cause === "timed out" ? "Sandbox.Timedout" : "Runtime.ExitError",
        errorMessage: `RequestId: ${requestId} Error: ${actor.cause}`,
      })),
    ]);
    for (const t of timers) clearTimeout(t);
    this.observer.ended(fn.name, requestId, actor, outcome.ok ? "success" : "error");
    return outcome;
  }
}

/**
 * What a held event waits for: another invoke of the same task. A redispatch carries a new dispatch token
 * (ADR 0015), so the payload is compared without it; an SDK retry of the same invoke is told apart by its
 * invocation id.
 */
function heldKey(payload: string): string {
  try {
    const { token: _token, ...task } = JSON.parse(payload) as Record<string, unknown>;
    return JSON.stringify(task);
  } catch {
    return payload;
  }
}
