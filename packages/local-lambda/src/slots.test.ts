import { describe, expect, it } from "vitest";
import { ConcurrencySlots } from "./slots.ts";

describe("ConcurrencySlots", () => {
  it("grants tryAcquire up to the limit and refuses beyond it", () => {
    const slots = new ConcurrencySlots(2);
    expect([slots.tryAcquire(), slots.tryAcquire(), slots.tryAcquire()]).toEqual([true, true, false]);
    slots.release();
    expect(slots.tryAcquire()).toBe(true);
  });

  it("serves waiting acquires in arrival order as slots are released", async () => {
    const slots = new ConcurrencySlots(1);
    await slots.acquire();
    const order: number[] = [];
    const first = slots.acquire().then(() => order.push(1));
    const second = slots.acquire().then(() => order.push(2));
    slots.release();
    await first;
    expect(order).toEqual([1]);
    slots.release();
    await second;
    expect(order).toEqual([1, 2]);
    expect(slots.inUse).toBe(1);
  });

  it("refuses everything at limit 0 and wakes waiters when the limit is raised", async () => {
    const slots = new ConcurrencySlots(0);
    expect(slots.tryAcquire()).toBe(false);
    let granted = false;
    const waiting = slots.acquire().then(() => {
      granted = true;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    slots.setLimit(1);
    await waiting;
    expect(granted).toBe(true);
  });
});
