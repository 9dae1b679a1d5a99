/**
 * Turns an EventBridge schedule expression into a period. `rate(...)` is supported; `cron(...)` is
 * refused with a clear message, since the local stack has no calendar scheduler.
 */
export function schedulePeriodMs(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? "minute";
    if (n < 1) throw new Error(`schedule ${expression}: the rate must be at least 1`);
    if ((n === 1) !== !unit.endsWith("s")) {
      throw new Error(
        `schedule ${expression}: write "rate(1 ${unit.replace(/s$/, "")})" or "rate(${n} ${unit.replace(/s?$/, "s")})"`,
      );
    }
    const perUnit = unit.startsWith("minute") ? 60_000 : unit.startsWith("hour") ? 3_600_000 : 86_400_000;
    return n * perUnit;
  }
  if (/^cron\(.+\)$/.test(expression.trim())) {
    throw new Error(
      `schedule ${expression}: cron() expressions are not supported by the local stack; use rate(...) locally (Terraform accepts both)`,
    );
  }
  throw new Error(`schedule ${expression}: not a schedule expression; expected rate(...) or cron(...)`);
}

export interface Scheduler {
  stop(): void;
}

/**
 * Fires `tick` every period (divided by `speed`), as EventBridge Scheduler does: every period regardless
 * of whether earlier ticks are still running. A tick is an asynchronous (Event) invoke, so firing only
 * enqueues, and overlapping consumer runs are safe by design. A tick's failure is the tick's business;
 * it never stops the schedule.
 */
export function startScheduler(periodMs: number, tick: () => Promise<unknown>, speed = 1): Scheduler {
  const timer = setInterval(
    () => {
      tick().catch(() => undefined);
    },
    Math.max(100, periodMs / speed),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
