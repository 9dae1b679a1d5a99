import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TooManyRequestsException } from "@aws-sdk/client-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord } from "../src/logs.ts";
import {
  fixtureSpec,
  invoke,
  payloadOf,
  startTestService,
  stopTestService,
  type TestService,
  waitUntil,
} from "./helpers.ts";

let service: TestService;
let logDir: string;

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), "local-lambda-logs-"));
  service = await startTestService(
    [
      fixtureSpec("faulty", "behaviours", { timeoutSeconds: 1 }),
      fixtureSpec("logger", "behaviours"),
      fixtureSpec("queued", "behaviours", {
        async: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 21_600 },
      }),
    ],
    { speed: 0.001, logDir },
  );
});

afterEach(() => {
  for (const name of ["faulty", "logger", "queued"]) service.lambda.setFaults(name, {});
});

afterAll(async () => {
  await stopTestService(service);
  rmSync(logDir, { recursive: true, force: true });
});

describe("fault injection", () => {
  it("errorRate 1 fails every invocation as if the handler had thrown", async () => {
    service.lambda.setFaults("faulty", { errorRate: 1 });
    const out = await invoke(service.client, "faulty", { hello: 1 }, { LogType: "Tail" });
    expect(out.FunctionError).toBe("Unhandled");
    expect(payloadOf(out)).toMatchObject({
      errorType: "InjectedFault",
      errorMessage: "Injected fault (errorRate 1)",
    });
    expect(Buffer.from(out.LogResult ?? "", "base64").toString()).toContain("ERROR\tInvoke Error");
    service.lambda.setFaults("faulty", {});
    const healthy = await invoke(service.client, "faulty", { hello: 2 });
    expect(healthy.FunctionError).toBeUndefined();
  });

  it("throttleRate 1 answers synchronous calls with 429", async () => {
    service.lambda.setFaults("faulty", { throttleRate: 1 });
    const error = await invoke(service.client, "faulty", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequestsException);
  });

  it("throttleRate retries a throttled event until it can run", async () => {
    service.lambda.setFaults("queued", { throttleRate: 1 });
    let throttles = 0;
    const throttledTwice = new Promise<void>((resolve) => {
      const listener = (data: { function: string }) => {
        if (data.function !== "queued") return;
        throttles += 1;
        if (throttles === 2) {
          service.lambda.events.off("throttled", listener);
          resolve();
        }
      };
      service.lambda.events.on("throttled", listener);
    });
    await invoke(service.client, "queued", { n: 1 }, { InvocationType: "Event" });
    await throttledTwice;
    expect(service.lambda.stats().queued?.invocations.started).toBe(0);
    service.lambda.setFaults("queued", {});
    await service.lambda.idle();
    expect(service.lambda.stats().queued?.async).toMatchObject({ succeeded: 1, discarded: 0 });
  });

  it("latencyMs delays the handler without eating into its time budget", async () => {
    service.lambda.setFaults("faulty", { latencyMs: 300 });
    const started = Date.now();
    const out = await invoke(service.client, "faulty", { action: "sleep", ms: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // 1 s budget: with the 300 ms counted against it, less than 700 ms would remain.
    expect((payloadOf(out) as { before: number }).before).toBeGreaterThan(750);
  });

  it("forceTimeout makes the invocation time out and replaces the instance", async () => {
    const before = (payloadOf(await invoke(service.client, "faulty", {})) as { pid: number }).pid;
    service.lambda.setFaults("faulty", { forceTimeout: true });
    const out = await invoke(service.client, "faulty", {});
    expect(payloadOf(out)).toMatchObject({ errorType: "Sandbox.Timedout" });
    service.lambda.setFaults("faulty", {});
    const after = (payloadOf(await invoke(service.client, "faulty", {})) as { pid: number }).pid;
    expect(after).not.toBe(before);
  });

  it("rejects rates outside 0..1", () => {
    expect(() => service.lambda.setFaults("faulty", { errorRate: 2 })).toThrow(/errorRate/);
    expect(() => service.lambda.setFaults("nope", {})).toThrow(/No function named "nope"/);
  });
});

describe("function logs", () => {
  it("prints every line with the function name and request id, and appends it as JSON to <logDir>/<function>.log", async () => {
    const records: LogRecord[] = [];
    service.lambda.events.on("log", (record: LogRecord) => records.push(record));
    const out = await invoke(service.client, "logger", { action: "log", lines: ["hello from the handler"] });
    const requestId = out.$metadata.requestId ?? "";
    const printed = service.output.join("");
    expect(printed).toMatch(new RegExp(`\\[logger\\] \\[${requestId}\\] .*INFO\\thello from the handler`));
    expect(printed).toContain(`[logger] [${requestId}] raw stderr line`);
    expect(printed).toContain(`[logger] [${requestId}] START RequestId: ${requestId}`);

    // The file is written through a stream: wait for the REPORT line to land.
    const file = join(logDir, "logger.log");
    type Line = { time: string; function: string; requestId: string; message: string };
    const lines = await waitUntil("the REPORT line in the log file", () => {
      try {
        const read: Line[] = readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line));
        return read.some((l) => l.message.startsWith("REPORT")) && read;
      } catch {
        return false; // not written yet, or a line still being written
      }
    });
    const mine = lines.filter((l) => l.requestId === requestId);
    expect(mine.map((l) => l.message.split("\t")[0])).toEqual([
      `START RequestId: ${requestId} Version: $LATEST`,
      expect.stringMatching(/^\d{4}-/),
      "raw stdout line",
      "raw stderr line",
      `END RequestId: ${requestId}`,
      `REPORT RequestId: ${requestId}`,
    ]);
    expect(mine[0]).toMatchObject({ function: "logger", requestId });
    expect(Date.parse(mine[0]?.time ?? "")).not.toBeNaN();
    expect(records.filter((r) => r.requestId === requestId)).toHaveLength(6);
  });
});
