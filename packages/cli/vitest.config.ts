import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../../vitest.shared.ts";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
      // The end-to-end file starts a whole stack and runs the binary many times; one file at a time.
      fileParallelism: false,
    },
  }),
);
