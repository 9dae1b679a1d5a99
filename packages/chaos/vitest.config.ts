import { defineConfig } from "vitest/config";
import { simulatedEnvironment } from "./src/sim-env.ts";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The CI budget of schedules runs in one test; it must finish on a busy 2-core machine.
    testTimeout: 900_000,
    env: simulatedEnvironment(),
  },
});
