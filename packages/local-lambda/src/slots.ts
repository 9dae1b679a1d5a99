/**
 * A function's concurrency: at most `limit` invocations at once. Synchronous calls take a slot with
 * `tryAcquire` and are throttled when none is free (as Lambda answers 429); queued events wait with
 * `acquire`. The limit can change at run time and may be 0 (reserved concurrency 0 throttles everything).
 */
export class ConcurrencySlots {
  private limitValue: number;
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(limit: number) {
    this.limitValue = limit;
  }

  get limit(): number {
    return this.limitValue;
  }

  get inUse(): number {
    return this.used;
  }

  setLimit(limit: number): void {
    this.limitValue = limit;
    this.wake();
  }

  tryAcquire(): boolean {
    if (this.used >= this.limitValue) return false;
    this.used += 1;
    return true;
  }

  /** Resolves once a slot is held; waiters are served in arrival order. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.used < this.limitValue) {
      this.used += 1;
      this.waiters.shift()?.();
    }
  }
}
