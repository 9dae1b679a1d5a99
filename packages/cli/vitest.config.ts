import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end file starts a whole stack and runs the binary many times; one file at a time.
    fileParallelism: false,
  },
});
