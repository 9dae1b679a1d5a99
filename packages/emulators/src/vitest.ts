import type { Settings } from "@fanout/core";
import { afterAll, beforeAll } from "vitest";
import type { StartEmulatorsOptions } from "./emulators.ts";
import { type LocalStack, startLocalResources } from "./stack.ts";

export interface UseEmulatorsOptions extends StartEmulatorsOptions {
  settings?: Settings;
  /** Also write {@link LocalStack.env} into `process.env` for the file's tests (restored afterwards). */
  setProcessEnv?: boolean;
}

/**
 * Vitest helper (import from `@fanout/emulators/vitest`): starts fresh emulators with fanout's resources in
 * `beforeAll` and stops them in `afterAll`. Read the returned object's properties inside tests/hooks only.
 *
 * ```ts
 * const local = useEmulators({ settings: parseSettings({ queue: { max_receive_count: 2 } }) });
 * it("...", async () => { new SQSClient({ endpoint: local.sqsEndpoint, ... }); local.resources.tasksQueueUrl; });
 * ```
 */
export function useEmulators(options: UseEmulatorsOptions = {}): LocalStack {
  let stack: LocalStack | undefined;
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    stack = await startLocalResources(options);
    if (options.setProcessEnv) {
      for (const [key, value] of Object.entries(stack.env())) {
        saved.set(key, process.env[key]);
        process.env[key] = value;
      }
    }
  }, 30_000);
  afterAll(async () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await stack?.stop();
  });
  return new Proxy({} as LocalStack, {
    get(_target, key) {
      if (!stack)
        throw new Error("useEmulators(): the emulators start in beforeAll; use them inside tests or hooks");
      return Reflect.get(stack, key);
    },
  });
}
