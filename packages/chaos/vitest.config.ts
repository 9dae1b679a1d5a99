import { defineConfig } from "vitest/config";
import { simulatedEnvironment } from "./src/sim-env.ts";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The CI budget of schedules runs in one test (about 15 minutes of two cores); it must finish on a busy
    // 2-core machine beside the other suites, so the bound is generous: it is not what the test waits for.
    testTimeout: 3_600_000,
    env: simulatedEnvironment(),
  },
});
