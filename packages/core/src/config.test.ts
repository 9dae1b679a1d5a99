import { describe, expect, it } from "vitest";
import { consumerConfigSchema, readConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

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
