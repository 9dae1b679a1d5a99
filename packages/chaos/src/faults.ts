import type { EventFaults, InvocationFaults, SimFunction } from "./lambda.ts";
import type { CallFault, CallInfo } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { StreamFaults } from "./stream.ts";

/**
 * The faults an AWS call can get. Crashes only where a process can die (a Lambda invocation or the
 * operator's CLI); the rest anywhere.
 */
export const callFaultKinds: readonly Exclude<CallFault["kind"], "none">[] = [
  "refused",
  "throttle",
  "server",
  "lost",
  "delay",
  "crash-before",
  "crash-after",
];

/** Operations that answer per entry: a fault may fail some entries and apply the rest ({@link partialFault}). */
export const batchOperations: ReadonlySet<string> = new Set([
  "SendMessageBatch",
  "DeleteMessageBatch",
  "ChangeMessageVisibilityBatch",
  "BatchWriteItem",
  "BatchGetItem",
]);

/**
 * Whether entry `i` of a batch fails under a partial fault drawn as `pick` (at least one entry of `n` fails):
 * a hash of the two, so a replay fails the same entries.
 */
export function partialFault(pick: number, n: number): (i: number) => boolean {
  const bit = (i: number) => ((Math.imul(pick ^ (i + 1), 2654435761) >>> 16) & 1) === 1;
  const any = Array.from({ length: n }, (_, i) => bit(i)).some(Boolean);
  return (i) => bit(i) || (!any && i === pick % n);
}

/** One fault the plan injected: where (the call's sequence number, or an event) and what. */
export interface FaultRecord {
  /** Position in the schedule's sequence of fault decisions; `--suppress` names these. */
  index: number;
  at: string;
  kind: string;
}

/**
 * A service down or throttled for minutes (correlated faults): every call to it in the period gets the same
 * fault (or half of them, a brown-out). One fault decision, so a shrink drops the whole outage at once.
 */
export interface Outage {
  index: number;
  service: CallInfo["service"];
  fromMs: number;
  toMs: number;
  kind: "server" | "throttle" | "refused";
  rate: number;
}

export interface FaultPlanOptions {
  /** Chance that a call gets a fault. @default 0.08 */
  callRate?: number;
  /** Chance that a Lambda event or invocation gets a fault. @default 0.15 */
  lambdaRate?: number;
  /** Inject only the fault decisions with these indices: how a failing schedule is shrunk and replayed. */
  only?: ReadonlySet<number>;
  /** Chance that a schedule has a sustained outage of one service (and again for a second). @default 0.4 */
  outageRate?: number;
}

/**
 * Rare paths get faults too: the n-th call (from 0) of a call site in a schedule gets a fault with chance
 * at least `0.5^(n+1)`, so the first calls of a path that runs once or twice a schedule (a recycle, a
 * redrive's send, a step's hand-over) are faulted about as often as the hot path's calls are in total.
 */
function siteRate(callRate: number, callsAtSite: number): number {
  return Math.max(callRate, 0.5 ** (callsAtSite + 1));
}

/** Which calls get faults: all, only the operator's (the final redrive), or none (the system settles). */
export type FaultMode = "all" | "operator" | "off";

/**
 * The seeded fault plan. Each decision draws from its own stream and gets an index; a decision left out by
 * `only` draws the same numbers but injects nothing, so the rest of the plan stays as it was.
 */
export class FaultPlan {
  readonly injected: FaultRecord[] = [];
  readonly byKind: Record<string, number> = {};
  private decisions = 0;
  mode: FaultMode = "all";
  readonly outages: Outage[] = [];
  private readonly callRate: number;
  private readonly lambdaRate: number;

  private readonly prng: Prng;
  private readonly options: FaultPlanOptions = {};
  private readonly callsBySite = new Map<string, number>();
  /**
   * Correlated retries: the SDK invocations (`amz-sdk-invocation-id`, the same for every attempt of one
   * call) whose every later attempt fails the same way, as when a lost answer is followed by throttling.
   */
  private readonly failingAttempts = new Map<string, "throttle" | "server">();
  /** The SDK calls of redispatches a stale event overtook that were chosen to be throttled throughout. */
  private readonly overtaken = new Set<string>();
  /**
   * Swarm testing (Groce et al., 2012): half the schedules stress one kind of call fault. Most of their faults
   * are of that kind, at twice the rate, so a bug that needs two or three faults of one kind on one path (a
   * lost commit answer and its refused retry; a delayed counter write passed by a newer one; a lost invoke
   * answer whose retries all fail) meets them far more often than under an even mix.
   */
  readonly focus: Exclude<CallFault["kind"], "none"> | undefined;

  private readonly sitePrng: Prng;
  private readonly siteFocus: { match: string; rate: number; kind: "fail" | "lost" }[] = [];
  private readonly operatorPrng: Prng;
  private readonly targetedOperator: boolean;
  private operatorTarget: { ordinal: number; seen: string[] } | undefined;

  /** Faults on for Lambda's own decisions (events, invocations) and the simulation's chances. */
  get active(): boolean {
    return this.mode === "all";
  }

  /**
   * @param window the virtual period in which outages may start (the fault window): `[startMs, endMs)`.
   */
  constructor(prng: Prng, options: FaultPlanOptions = {}, window?: { startMs: number; endMs: number }) {
    this.prng = prng;
    this.options = options;
    this.callRate = options.callRate ?? 0.08;
    this.lambdaRate = options.lambdaRate ?? 0.15;
    const swarm = prng.fork("swarm");
    this.focus = swarm.chance(0.5) ? callFaultKinds[swarm.int(0, callFaultKinds.length - 1)] : undefined;
    // Outages draw from a stream of their own, so the per-call draws stay as they were.
    const o = prng.fork("outages");
    const services: Outage["service"][] = ["dynamodb", "sqs", "lambda", "sns", "s3", "dynamodb"];
    const kinds: Outage["kind"][] = ["server", "throttle", "refused"];
    for (let n = 0; n < 2 && window; n++) {
      const roll = o.float();
      const service = services[o.int(0, services.length - 1)] ?? "dynamodb";
      const fromMs = o.int(window.startMs, window.endMs - 30_000);
      const lengthMs = o.int(30_000, 6 * 60_000);
      const kind = kinds[o.int(0, kinds.length - 1)] ?? "server";
      const rate = o.float() < 0.6 ? 1 : 0.5;
      const index = this.decisions++;
      if (roll >= (options.outageRate ?? 0.4) * (n === 0 ? 1 : 0.5)) continue;
      if (this.options.only && !this.options.only.has(index)) continue;
      this.outages.push({ index, service, fromMs, toMs: fromMs + lengthMs, kind, rate });
      this.injected.push({
        index,
        at: `${service} ${fromMs - window.startMs}+${lengthMs} ms`,
        kind: `outage-${kind}`,
      });
    }
    // Streams of their own for the focused site and the final redrive's targets, forked from the outages'
    // stream after its draws: every other draw of a seed stays as it was.
    this.sitePrng = o.fork("site-focus");
    this.operatorPrng = o.fork("operator-targets");
    this.targetedOperator = this.operatorPrng.chance(0.5);
  }

  /**
   * Fails a share of the calls at the call sites whose name contains `match`, every SDK retry of each with a
   * server error or throttling, so the write does not land: how a schedule walks one site's failure path many times over
   * (the failure swarm fails some of the workers' RUNNING writes, so a worker may count a retry that Lambda
   * will not make). With `lost`, the call lands and its answer is lost instead (once; the SDK's retry goes
   * through the gate again): how a schedule walks a conditional write's "my own earlier attempt" refusal.
   */
  focusSite(match: string, rate: number, kind: "fail" | "lost" = "fail"): void {
    this.siteFocus.push({ match, rate, kind });
  }

  /**
   * Starts one faulted attempt of the final redrive. In half the schedules each such attempt fails one call
   * site of the operator's, the `ordinal`-th distinct site it reaches (every call there, through the SDK's
   * retries), and nothing else: a failure the command does not report is then not hidden by another fault
   * in the same run that it does report (an exit 1 either way), which is what the rest of the schedules'
   * even spread of faults over the operator's calls nearly always does.
   */
  operatorAttempt(): void {
    const ordinal = this.operatorPrng.int(0, 7);
    this.operatorTarget = this.targetedOperator ? { ordinal, seen: [] } : undefined;
  }

  /** For an AWS call leaving the gate at virtual time `nowMs`. */
  call(info: CallInfo, nowMs = 0): CallFault {
    const roll = this.prng.float();
    const kindRoll = this.prng.float();
    const ms = this.prng.int(5_000, 150_000);
    const brownout = this.prng.float();
    const partialRoll = this.prng.float();
    const pick = this.prng.int(0, 2 ** 30);
    const correlateRoll = this.prng.float();
    const overtakeRoll = this.prng.float();
    const on = this.mode === "all" || (this.mode === "operator" && info.call.actor?.kind === "operator");
    const sdkCall = info.request.headers["amz-sdk-invocation-id"];
    // A redispatch that a stale event of its task overtook is refused, 2 times in 3, on every attempt (the
    // Lambda that held the event back is throttling): the consumer releases a claim the stale run now holds.
    // Also once the faults are off: the redispatch of a task whose dispatcher died comes after the queue's
    // visibility timeout, mostly past the fault window, and a throttled redispatch is retried 10 s later.
    if (sdkCall !== undefined && this.overtaken.has(sdkCall)) {
      this.byKind["retries-fail"] = (this.byKind["retries-fail"] ?? 0) + 1;
      return { kind: "throttle" };
    }
    if (info.overtakes && sdkCall !== undefined) {
      const index = this.decisions++;
      const at = `${info.service}.${info.operation}`;
      if (overtakeRoll < 2 / 3 && this.record(index, at, "overtaken-throttled", true)) {
        this.overtaken.add(sdkCall);
        return { kind: "throttle" };
      }
    }
    const delayed = (info.call as { delayed?: boolean }).delayed === true;
    const target = this.operatorTarget;
    if (this.mode === "operator" && target && info.call.actor?.kind === "operator" && !delayed) {
      if (!target.seen.includes(info.site)) target.seen.push(info.site);
      if (target.seen.indexOf(info.site) !== target.ordinal) return { kind: "none" };
      const index = this.decisions++;
      const kind = correlateRoll < 0.5 ? "throttle" : "server";
      return this.record(index, `${info.service}.${info.operation}`, `target-${kind}`, true)
        ? { kind }
        : { kind: "none" };
    }
    if (!on || delayed) return { kind: "none" };
    // A later attempt of an SDK call whose attempts were chosen to keep failing (the decision that chose it
    // has its own index, so a shrink that drops it drops these too).
    const failing = sdkCall === undefined ? undefined : this.failingAttempts.get(sdkCall);
    if (failing) {
      this.byKind["retries-fail"] = (this.byKind["retries-fail"] ?? 0) + 1;
      return { kind: failing };
    }
    // An outage answers every call to its service (a brown-out every other one), while the faults are on.
    const outage = this.outages.find(
      (o) => o.service === info.service && nowMs >= o.fromMs && nowMs < o.toMs && brownout < o.rate,
    );
    if (outage) {
      const kind = `outage-${outage.kind}`;
      this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
      return { kind: outage.kind };
    }
    const focused = this.siteFocus.find((f) => info.site.includes(f.match));
    if (focused && this.sitePrng.float() < focused.rate) {
      const index = this.decisions++;
      // The write lands and its answer is lost: the SDK's retry then meets its own effect (a refusal).
      if (focused.kind === "lost")
        return this.record(index, `${info.service}.${info.operation}`, "focus-lost", true)
          ? { kind: "lost" }
          : { kind: "none" };
      const kind = correlateRoll < 0.5 ? "throttle" : "server";
      if (!this.record(index, `${info.service}.${info.operation}`, `focus-${kind}`, true))
        return { kind: "none" };
      if (sdkCall !== undefined) this.failingAttempts.set(sdkCall, kind);
      return { kind };
    }
    const index = this.decisions++;
    const callsAtSite = this.callsBySite.get(info.site) ?? 0;
    this.callsBySite.set(info.site, callsAtSite + 1);
    const callRate = this.focus ? 2 * this.callRate : this.callRate;
    if (roll >= siteRate(callRate, callsAtSite)) return { kind: "none" };
    const at = `${info.service}.${info.operation}`;
    if (batchOperations.has(info.operation) && partialRoll < 0.3)
      return this.record(index, at, "partial", { kind: "partial", pick });
    // In a focused schedule 70 % of the faults are of its kind, the rest an even mix (the same roll decides).
    const evenRoll = this.focus ? Math.max(0, kindRoll - 0.7) / 0.3 : kindRoll;
    const kind = (
      this.focus && kindRoll < 0.7
        ? this.focus
        : callFaultKinds[Math.min(callFaultKinds.length - 1, Math.floor(evenRoll * callFaultKinds.length))]
    ) as CallFault["kind"];
    const fault: CallFault = kind === "delay" ? { kind, ms } : ({ kind } as CallFault);
    const recorded = this.record(index, at, fault.kind, fault);
    // After a lost answer or an error, a third of the time every later attempt fails too: the SDK's retries
    // run out and the caller sees the last attempt's error (after a lost one: an ambiguous outcome).
    const retried = ["lost", "throttle", "server", "refused"].includes(recorded.kind);
    if (retried && sdkCall !== undefined && correlateRoll < 1 / 3) {
      this.failingAttempts.set(sdkCall, correlateRoll < 1 / 6 ? "throttle" : "server");
      this.byKind["retries-fail-chosen"] = (this.byKind["retries-fail-chosen"] ?? 0) + 1;
    }
    return recorded;
  }

  /**
   * Lambda's faults for one accepted event. Half the late worker events, and two in three of those whose
   * invoker recorded no dispatch (`unrecorded`), wait for their task's redispatch ({@link EventFaults.untilRedispatch}):
   * a stale event harms only if it runs while its task is dispatched again.
   */
  event(fn: SimFunction, unrecorded = false): EventFaults {
    const r = [this.prng.float(), this.prng.float(), this.prng.float(), this.prng.float()];
    const delays = [
      this.prng.int(0, 3_000),
      this.prng.int(60_000, 15 * 60_000),
      this.prng.int(0, 30_000),
      this.prng.int(0, 120_000),
    ];
    const base: EventFaults = { deliveryDelayMs: delays[0] ?? 0 };
    if (!this.active) return base;
    const at = `lambda.${fn.kind}.event`;
    const out: EventFaults = { ...base };
    let i = this.decisions++;
    if ((r[0] ?? 1) < this.lambdaRate / 3 && this.record(i, at, "event-late", true)) {
      out.deliveryDelayMs = delays[1] ?? 0;
      // Half the late events wait for their task's redispatch, the moment a stale event can do harm.
      if ((r[3] ?? 1) < 0.5 && fn.kind === "worker") {
        out.untilRedispatch = true;
        this.byKind["event-until-redispatch"] = (this.byKind["event-until-redispatch"] ?? 0) + 1;
      }
    } else if (unrecorded && fn.kind === "worker") {
      i = this.decisions++;
      if ((r[3] ?? 1) < 2 / 3 && this.record(i, at, "event-until-redispatch", true)) {
        out.deliveryDelayMs = delays[1] ?? 0;
        out.untilRedispatch = true;
      }
    }
    i = this.decisions++;
    if ((r[1] ?? 1) < this.lambdaRate / 2 && this.record(i, at, "event-duplicate", true))
      out.duplicateAfterMs = delays[2] ?? 0;
    i = this.decisions++;
    if ((r[2] ?? 1) < this.lambdaRate / 4 && this.record(i, at, "event-duplicate-new-id", true))
      out.duplicateNewIdAfterMs = delays[3] ?? 0;
    return out;
  }

  invocation(fn: SimFunction): InvocationFaults {
    const r = [this.prng.float(), this.prng.float(), this.prng.float()];
    const crashAt = this.prng.int(0, fn.timeoutSeconds * 1000);
    const skew = this.prng.int(-1_000, 1_000);
    const out: InvocationFaults = { initFailure: false, skewMs: 0 };
    if (!this.active) return out;
    const at = `lambda.${fn.kind}.invocation`;
    let i = this.decisions++;
    if ((r[0] ?? 1) < this.lambdaRate / 4 && this.record(i, at, "init-failure", true)) out.initFailure = true;
    i = this.decisions++;
    if ((r[1] ?? 1) < this.lambdaRate / 2 && this.record(i, at, "process-crash", true))
      out.crashAfterMs = crashAt;
    i = this.decisions++;
    if ((r[2] ?? 1) < this.lambdaRate && this.record(i, at, "clock-skew", true)) out.skewMs = skew;
    return out;
  }

  /**
   * The table stream's faults for one batch: read late (iterator age, up to 2 minutes), or delivered again
   * after the function answered it (a checkpoint not saved: at least once).
   */
  stream(): StreamFaults {
    const r = [this.prng.float(), this.prng.float()];
    const delay = this.prng.int(1_000, 120_000);
    const out: StreamFaults = { delayMs: 0, redeliver: false };
    if (!this.active) return out;
    let i = this.decisions++;
    if ((r[0] ?? 1) < this.lambdaRate / 3 && this.record(i, "stream.batch", "stream-late", true))
      out.delayMs = delay;
    i = this.decisions++;
    if ((r[1] ?? 1) < this.lambdaRate / 3 && this.record(i, "stream.batch", "stream-redelivered", true))
      out.redeliver = true;
    return out;
  }

  /** The operator's clock: up to the 60 s ahead (or behind) that redrive allows for (`leaseClockSkewMs`). */
  operatorSkewMs(): number {
    const roll = this.prng.float();
    const skew = this.prng.int(-60_000, 60_000);
    if (!this.active) return 0;
    const i = this.decisions++;
    return roll < 0.5 && this.record(i, "operator", "clock-skew", true) ? skew : 0;
  }

  /** A chance for the simulation itself (SQS duplicates, operator moments), on the same indexed plan. */
  chance(at: string, kind: string, p: number): boolean {
    const roll = this.prng.float();
    if (!this.active) return false;
    const index = this.decisions++;
    return roll < p && this.record(index, at, kind, true);
  }

  private record<T>(index: number, at: string, kind: string, value: T): T {
    if (this.options.only && !this.options.only.has(index))
      return (typeof value === "boolean" ? false : { kind: "none" }) as T;
    this.injected.push({ index, at, kind });
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    return value;
  }
}
