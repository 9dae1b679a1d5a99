import { AsyncLocalStorage } from "node:async_hooks";
import { setImmediate as realSetImmediate } from "node:timers";
import FakeTimers from "@sinonjs/fake-timers";
import type { Prng } from "./prng.ts";

/** Something that runs code: one Lambda invocation, the submitter, the operator. A dead actor never resumes. */
export interface Actor {
  readonly id: string;
  readonly kind: "main" | "consumer" | "worker" | "submitter" | "operator";
  /** How far this process's clock is off the true (virtual) time; `Date.now()` inside it includes this. */
  skewMs: number;
  alive: boolean;
  /** Why it died, when it did. */
  cause?: string;
  /** When (true virtual time) it died. */
  diedAtMs?: number;
  /** Resolves when the actor dies. */
  readonly died: Promise<void>;
}

/** One AWS request waiting for the scheduler. */
export interface PendingCall {
  readonly seq: number;
  readonly actor: Actor | undefined;
  readonly label: string;
  /** Runs the call: returns when its effect is done (the answer may come later, e.g. a long poll). */
  readonly process: (decision: "deliver" | "lose") => Promise<void>;
  readonly reject: (error: Error) => void;
  /**
   * Sent already and held by the network (a delay fault): it lands even if its sender dies meanwhile, as a
   * DynamoDB write the client gave up on still takes effect ({@link Network}).
   */
  inFlight?: boolean;
}

/**
 * The simulated world: one virtual clock (fake timers: Date, setTimeout, setInterval), actors tracked with
 * AsyncLocalStorage, and every AWS request held at a gate until the run loop picks it. The loop always lets
 * the code run until it is blocked, then takes one decision: which pending call goes next (seeded), or, when
 * none is pending, moves the clock to the next timer. Only one call is in flight at a time, so a run is a
 * pure function of its seed.
 */
export class World {
  readonly als = new AsyncLocalStorage<Actor>();
  readonly clock: FakeTimers.Clock & { uninstall(): void; next(): number; countTimers(): number };
  private readonly ready: PendingCall[] = [];
  private nextSeq = 0;
  private nextActor = 0;
  private readonly kills = new Map<Actor, () => void>();

  private readonly order: Prng;

  private readonly realRandom = Math.random;

  constructor(startMs: number, order: Prng, random: Prng) {
    this.order = order;
    // The SDK's retry jitter (and anything else) draws from the schedule's seed, so a run replays exactly.
    Math.random = () => random.float();
    this.clock = FakeTimers.install({
      now: startMs,
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
      // The SDK clears, under the fake clock, socket timers it set before a schedule began.
      shouldClearNativeTimers: true,
    });
    // Each process reads its own clock: the true time plus its skew.
    const fakeNow = Date.now.bind(Date);
    Date.now = () => fakeNow() + (this.als.getStore()?.skewMs ?? 0);
    // Timer callbacks run in the actor that set them (fake timers would run them in the loop's context).
    type Timer = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => unknown;
    const fakeSetTimeout = globalThis.setTimeout as unknown as Timer;
    const fakeSetInterval = globalThis.setInterval as unknown as Timer;
    const bind = (fn: (...a: unknown[]) => void) =>
      typeof fn === "function" ? AsyncLocalStorage.bind(fn) : fn;
    globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      fakeSetTimeout(bind(fn), ms, ...args)) as unknown as typeof setTimeout;
    globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      fakeSetInterval(bind(fn), ms, ...args)) as unknown as typeof setInterval;
  }

  now(): number {
    return this.clock.now;
  }

  /** Restores the real timers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clock.uninstall();
    Math.random = this.realRandom;
  }

  private disposed = false;
  private debugSteps = 0;

  current(): Actor | undefined {
    return this.als.getStore();
  }

  /** Runs `fn` as a new actor; its promise never settles if the actor dies first. */
  spawn<T>(
    kind: Actor["kind"],
    label: string,
    fn: (actor: Actor) => Promise<T>,
    skewMs = 0,
  ): { actor: Actor; result: Promise<T> } {
    let kill: () => void = () => {};
    const died = new Promise<void>((resolve) => {
      kill = resolve;
    });
    const actor: Actor = { id: `${kind}:${label}:${this.nextActor++}`, kind, skewMs, alive: true, died };
    this.kills.set(actor, kill);
    const result = this.als.run(actor, () => fn(actor));
    return { actor, result };
  }

  /**
   * The process dies here: nothing it started resumes, and its calls still waiting are never sent (a call
   * already in flight still lands: {@link PendingCall.inFlight}).
   */
  kill(actor: Actor, cause: string): void {
    if (!actor.alive) return;
    actor.alive = false;
    actor.cause = cause;
    actor.diedAtMs = this.clock.now;
    this.kills.get(actor)?.();
    this.kills.delete(actor);
  }

  /** Registers a call at the gate; the run loop decides when it is sent and what happens to it. */
  gate(call: Omit<PendingCall, "seq" | "actor">): PendingCall {
    const pending: PendingCall = { ...call, seq: this.nextSeq++, actor: this.current() };
    this.ready.push(pending);
    return pending;
  }

  /**
   * Runs until `done()` holds, nothing is left to happen, or the clock passes `horizonMs`. `decide` is
   * asked about each call as it leaves the gate and applies the fault plan.
   */
  async run(options: {
    done: () => boolean;
    horizonMs: number;
    decide: (call: PendingCall) => Promise<void>;
  }): Promise<"done" | "idle" | "horizon"> {
    let steps = 0;
    let lastNow = this.clock.now;
    for (;;) {
      await this.settle();
      if (process.env.CHAOS_DEBUG && (++this.debugSteps % 1000 === 0 || process.env.CHAOS_DEBUG === "2"))
        process.stderr.write(
          `step ${this.debugSteps} t=${this.clock.now} ready=${this.ready.length} timers=${this.clock.countTimers()} ${this.ready
            .map((c) => c.label)
            .slice(0, 5)
            .join(",")}\n`,
        );
      if (this.clock.now !== lastNow) {
        lastNow = this.clock.now;
        steps = 0;
      } else if (++steps > 100_000) {
        throw new Error(
          `the simulation made 100,000 steps without time passing (at ${new Date(lastNow).toISOString()})`,
        );
      }
      if (options.done()) return "done";
      const now = this.clock.now;
      // Calls of dead actors are never sent (those already in flight land all the same).
      for (let i = this.ready.length - 1; i >= 0; i--) {
        const c = this.ready[i];
        if (c?.actor && !c.actor.alive && !c.inFlight) this.ready.splice(i, 1);
      }
      if (this.ready.length > 0) {
        const call = this.ready[Math.floor(this.order.float() * this.ready.length)] as PendingCall;
        this.ready.splice(this.ready.indexOf(call), 1);
        await options.decide(call);
        continue;
      }
      if (this.clock.countTimers() === 0) return "idle";
      if (now >= options.horizonMs) return "horizon";
      this.clock.next();
    }
  }

  /** Puts a call back at the gate, to be sent no earlier than `atMs` (a delay fault). */
  requeue(call: PendingCall, atMs: number): void {
    setTimeout(() => this.ready.push(call), Math.max(0, atMs - this.clock.now));
  }

  pendingCalls(): number {
    return this.ready.length;
  }

  /** Lets every promise chain run until all of them wait on a gate or a timer. */
  async settle(): Promise<void> {
    // One macrotask turn runs every queued promise reaction (and those they queue) to completion: the code
    // under test and the models use promises and the virtual timers only, no real I/O of their own.
    await new Promise<void>((resolve) => realSetImmediate(resolve));
  }
}
