import { readdirSync } from "node:fs";
import { join } from "node:path";
import { consumerConfigSchema, ValidationError } from "@fanout/core";
import { describe, expect, it } from "vitest";
import { loadSettings, parseSettings, resourceNames } from "./settings.ts";

const environments = join(import.meta.dirname, "../../../terraform/environments");

describe("settings", () => {
  it("loads every environment file Terraform reads", () => {
    const files = readdirSync(environments).filter((f) => f.endsWith(".tfvars.json"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(() => loadSettings(join(environments, file))).not.toThrow();
  });

  it("derives the resource names Terraform uses", () => {
    expect(resourceNames(parseSettings({}))).toMatchObject({
      mainFunction: "fanout-main",
      consumerFunction: "fanout-consumer",
      workerFunction: "fanout-worker",
      table: "fanout-dedup",
      jobsTopic: "fanout-jobs.fifo",
    });
  });

  it("limits a task's result to 64 KiB by default, and to 1..358400 bytes (RESULT_MAX_BYTES' range)", () => {
    expect(parseSettings({}).max_result_bytes).toBe(65_536);
    expect(parseSettings({ max_result_bytes: 358_400 }).max_result_bytes).toBe(358_400);
    expect(() => parseSettings({ max_result_bytes: 358_401 })).toThrow(ValidationError);
    expect(() => parseSettings({ max_result_bytes: 0 })).toThrow(ValidationError);
  });

  it("defaults to alarms on without a subscriber, tracing off, the Fanout namespace and a protected table", () => {
    const s = parseSettings({});
    expect(s.alarms).toMatchObject({ enabled: true, email: null, consumer_duration_ratio: 0.95 });
    expect(s.tracing.enabled).toBe(false);
    expect(s.metrics.namespace).toBe("Fanout");
    expect(s.table.deletion_protection).toBe(true);
  });

  it("protects the table from deletion in staging and prod, not in dev", () => {
    const protection = (env: string) =>
      loadSettings(join(environments, `${env}.tfvars.json`)).table.deletion_protection;
    expect([protection("dev"), protection("staging"), protection("prod")]).toEqual([false, true, true]);
  });

  it.each(["rate(1 minute)", "rate(15 minutes)", "rate(2 hours)", "cron(0/5 * * * ? *)"])(
    "accepts the schedule expression %s",
    (expression) => {
      expect(parseSettings({ schedule_expression: expression }).schedule_expression).toBe(expression);
    },
  );

  it.each([
    [{ queue: { visibility_timeout_seconds: 30 } }, "queue.visibility_timeout_seconds"],
    [{ dedup: { ttl_seconds: 3600 } }, "dedup.ttl_seconds"],
    [{ dedup: { claim_lease_seconds: 600 } }, "dedup.claim_lease_seconds"],
    [{ worker_async: { maximum_retry_attempts: 3 } }, "worker_async.maximum_retry_attempts"],
    [{ schedule_expression: "every minute" }, "schedule_expression"],
    [{ schedule_expression: "rate(1 minutes)" }, "schedule_expression"],
    [{ schedule_expression: "rate(0 minutes)" }, "schedule_expression"],
    [{ schedule_expression: "cron(0 12 * * ?)" }, "schedule_expression"],
    [{ name_prefix: "Fan_Out" }, "name_prefix"],
    [{ queue: { max_recieve_count: 3 } }, "queue"],
    [{ metrics: { namespace: "AWS/Lambda" } }, "metrics.namespace"],
    [{ metrics: { namespace: "has space" } }, "metrics.namespace"],
    [{ alarms: { email: "on-call" } }, "alarms.email"],
    [{ alarms: { period_seconds: 90 } }, "alarms.period_seconds"],
    [{ alarms: { consumer_duration_ratio: 1.5 } }, "alarms.consumer_duration_ratio"],
    [{ alarms: { oldest_message_age_seconds: 30 } }, "alarms.oldest_message_age_seconds"],
    [{ tracing: { enabled: "yes" } }, "tracing.enabled"],
    [{ max_result_bytes: 1.5 }, "max_result_bytes"],
  ])("rejects %j naming %s", (input, path) => {
    try {
      parseSettings(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.path)).toContain(path);
    }
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
