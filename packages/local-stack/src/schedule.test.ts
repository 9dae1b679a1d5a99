import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { schedulePeriodMs, startScheduler } from "./schedule.ts";

describe("startScheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires every period even while earlier ticks are still running, as EventBridge Scheduler does", async () => {
    let fired = 0;
    // A tick that never finishes: an earlier run still going must not hold back the next tick.
    const scheduler = startScheduler(60_000, () => {
      fired += 1;
      return new Promise(() => {});
    });
    try {
      await vi.advanceTimersByTimeAsync(59_999);
      expect(fired).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(fired).toBe(1);
      await vi.advanceTimersByTimeAsync(3 * 60_000);
      expect(fired).toBe(4);
    } finally {
      scheduler.stop();
    }
  });

  it("divides the period by speed, keeps firing after a failed tick, and stops when told", async () => {
    let fired = 0;
    const scheduler = startScheduler(
      schedulePeriodMs("rate(1 minute)"),
      async () => {
        fired += 1;
        throw new Error("tick failed");
      },
      60,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fired).toBe(5);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fired).toBe(5);
  });
});
