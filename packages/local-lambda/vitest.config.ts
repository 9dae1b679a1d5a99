import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
    // End-to-end tests start child processes and wait for real (short) timeouts.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
