import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // End-to-end files each start a whole stack; run them one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
