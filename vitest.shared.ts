import { defineConfig } from "vitest/config";

/**
 * What every package's tests share. The timeouts are generous because the tests run against real emulators
 * on busy 2-core CI machines (64 concurrent claims took 5.4 s there, over vitest's 5 s default): a test is
 * bounded by the conditions it waits for (`waitUntil`), not by how fast the machine is.
 */
export const sharedConfig = defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
