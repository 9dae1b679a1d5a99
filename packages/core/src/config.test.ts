import { describe, expect, it } from "vitest";
import { consumerConfigSchema, loggerConfigSchema, readConfig, referenceTaskConfigSchema } from "./config.ts";
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

describe("WORKER_FAIL_RATE", () => {
  const worker = (rate?: string) => readConfig(referenceTaskConfigSchema, { WORKER_FAIL_RATE: rate });

  it("defaults to 0 and reads a fraction from 0 to 1", () => {
    expect(worker().WORKER_FAIL_RATE).toBe(0);
    expect(worker("0.25").WORKER_FAIL_RATE).toBe(0.25);
    expect(worker("1").WORKER_FAIL_RATE).toBe(1);
  });

  it.each(["often", "-0.1", "1.5"])("refuses %s, naming the variable and the range", (rate) => {
    expect(() => worker(rate)).toThrow(ConfigError);
    expect(() => worker(rate)).toThrow(/WORKER_FAIL_RATE: must be a number from 0 to 1/);
  });
});

describe("LOG_LEVEL", () => {
  it("reads Powertools' levels in any case and leaves an unset one to the default", () => {
    expect(readConfig(loggerConfigSchema, { LOG_LEVEL: "silent" }).LOG_LEVEL).toBe("SILENT");
    expect(readConfig(loggerConfigSchema, {}).LOG_LEVEL).toBeUndefined();
  });

  it("refuses an unknown level, naming the variable", () => {
    expect(() => readConfig(loggerConfigSchema, { LOG_LEVEL: "LOUD" })).toThrow(
      /LOG_LEVEL: must be TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT/,
    );
  });
});
