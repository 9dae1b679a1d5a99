import { describe, expect, it } from "vitest";
import { consumerConfigSchema, readConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { parseSettings } from "./settings.ts";

describe("readConfig", () => {
  it("names every missing or invalid variable in one error", () => {
    const read = () => readConfig(consumerConfigSchema, { TASKS_QUEUE_URL: "not a url", POLLERS: "0" });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/TASKS_QUEUE_URL: must be a URL/);
    expect(read).toThrow(/TABLE_NAME: is missing/);
    expect(read).toThrow(/WORKER_FUNCTION_NAME: is missing/);
    expect(read).toThrow(/POLLERS/);
  });

  it("fills defaults and converts numbers", () => {
    const config = readConfig(consumerConfigSchema, {
      TASKS_QUEUE_URL: "http://127.0.0.1:9324/000000000000/fanout-tasks",
      TABLE_NAME: "fanout-dedup",
      WORKER_FUNCTION_NAME: "fanout-worker",
      POLLERS: "8",
    });
    expect(config.POLLERS).toBe(8);
    expect(config.CLAIM_LEASE_SECONDS).toBe(60);
  });
});

describe("config and settings ranges", () => {
  const base = {
    TASKS_QUEUE_URL: "http://127.0.0.1:9324/000000000000/fanout-tasks",
    TABLE_NAME: "fanout-dedup",
    WORKER_FUNCTION_NAME: "fanout-worker",
  };
  // Each tunable as the settings file names it and as the consumer's environment does.
  const pairs = [
    { env: "POLLERS", settings: (n: number) => ({ consumer: { pollers: n } }) },
    { env: "DISPATCH_CONCURRENCY", settings: (n: number) => ({ consumer: { dispatch_concurrency: n } }) },
    { env: "RECEIVE_WAIT_SECONDS", settings: (n: number) => ({ consumer: { receive_wait_seconds: n } }) },
    {
      env: "CLAIM_LEASE_SECONDS",
      settings: (n: number) => ({
        dedup: { claim_lease_seconds: n },
        queue: { visibility_timeout_seconds: 900 },
      }),
    },
  ] as const;

  it.each(pairs)("a function accepts exactly the $env values the settings accept", ({ env, settings }) => {
    const settingsOk = (n: number) => {
      try {
        parseSettings(settings(n));
        return true;
      } catch {
        return false;
      }
    };
    const envOk = (n: number) => consumerConfigSchema.safeParse({ ...base, [env]: String(n) }).success;
    for (const n of [-1, 0, 1, 4, 5, 20, 21, 32, 33, 512, 513, 900, 901]) {
      expect(envOk(n), `${env}=${n}`).toBe(settingsOk(n));
    }
  });
});
