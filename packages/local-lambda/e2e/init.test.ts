import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fixtureSpec,
  invoke,
  payloadOf,
  startTestService,
  stopTestService,
  type TestService,
} from "./helpers.ts";

/**
 * On AWS the on-demand init phase may take 10 s; an init that takes longer is run again inside the first
 * invoke, under the function's own timeout, so it fails only when init + handler exceed that timeout. The
 * service takes the init limit as an option (`initLimitMs`), so this runs in seconds instead of 10+.
 */
const initLimitMs = 300;
let service: TestService;

beforeAll(async () => {
  service = await startTestService(
    [
      fixtureSpec("slow-init", "init-env", { timeoutSeconds: 6, environment: { FIXTURE_INIT_MS: "1500" } }),
      fixtureSpec("too-slow-init", "init-env", {
        timeoutSeconds: 1,
        environment: { FIXTURE_INIT_MS: "5000" },
      }),
    ],
    { initLimitMs },
  );
}, 30_000);

afterAll(() => stopTestService(service));

const logOf = (out: { LogResult?: string | undefined }) =>
  Buffer.from(out.LogResult ?? "", "base64").toString();

describe("an init slower than the init limit", () => {
  it("succeeds when init + handler stay within the function timeout, the init counted against it", async () => {
    const out = await invoke(service.client, "slow-init", {}, { LogType: "Tail" });
    expect(out.FunctionError).toBeUndefined();
    expect(out.StatusCode).toBe(200);
    // The handler got what the init left of the 6 s timeout (less on a busy machine, never more).
    const { remainingMs } = payloadOf(out) as { remainingMs: number };
    expect(remainingMs).toBeLessThanOrEqual(6_000 - 1_500);
    expect(remainingMs).toBeGreaterThan(0);
    // The init ran inside the invoke: its time is in Duration, with no separate Init Duration.
    const log = logOf(out);
    const durationMs = Number(/\tDuration: ([\d.]+) ms/.exec(log)?.[1]);
    expect(durationMs).toBeGreaterThanOrEqual(1_500);
    expect(log).not.toContain("Init Duration");
    expect(log).not.toContain("Status:");
    // The instance stays warm: the next call is an ordinary warm invoke with the whole timeout.
    const again = payloadOf(await invoke(service.client, "slow-init", {})) as {
      pid: number;
      remainingMs: number;
    };
    expect(again.pid).toBe((payloadOf(out) as { pid: number }).pid);
    expect(again.remainingMs).toBeGreaterThan(6_000 - 1_500);
  }, 60_000);

  it("fails with Sandbox.Timedout when the init runs past the function timeout", async () => {
    const out = await invoke(service.client, "too-slow-init", {}, { LogType: "Tail" });
    expect(out.FunctionError).toBe("Unhandled");
    expect(payloadOf(out)).toEqual({
      errorType: "Sandbox.Timedout",
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
    const log = logOf(out);
    expect(log).toContain("Task timed out after 1.00 seconds");
    expect(log).toContain("Status: timeout");
    expect(service.lambda.pids("too-slow-init")).toEqual([]);
  }, 60_000);
});
