import { createServer } from "node:net";
import { TooManyRequestsException } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fixtureSpec,
  invoke,
  payloadOf,
  processExists,
  startTestService,
  stopTestService,
  type TestService,
  waitUntil,
} from "./helpers.ts";

let service: TestService;

beforeAll(async () => {
  service = await startTestService([
    fixtureSpec("short", "behaviours", { timeoutSeconds: 1 }),
    fixtureSpec("crashy", "behaviours"),
    fixtureSpec("warm", "slow-init"),
    fixtureSpec("one-at-a-time", "behaviours", { reservedConcurrency: 1 }),
    fixtureSpec("capped", "behaviours"),
    fixtureSpec("clock", "behaviours", { timeoutSeconds: 2 }),
  ]);
});

afterAll(() => stopTestService(service));

function pidOf(output: Awaited<ReturnType<typeof invoke>>): number {
  return (payloadOf(output) as { pid: number }).pid;
}

describe("instances", () => {
  it("reuses a warm instance for sequential calls and reports Init Duration only on the cold start", async () => {
    const first = await invoke(service.client, "warm", {}, { LogType: "Tail" });
    const second = await invoke(service.client, "warm", {}, { LogType: "Tail" });
    expect(pidOf(second)).toBe(pidOf(first));
    const firstLog = Buffer.from(first.LogResult ?? "", "base64").toString();
    const secondLog = Buffer.from(second.LogResult ?? "", "base64").toString();
    const initMs = Number(/Init Duration: ([\d.]+) ms/.exec(firstLog)?.[1]);
    expect(initMs).toBeGreaterThanOrEqual(150);
    expect(secondLog).not.toContain("Init Duration");
    expect(service.lambda.stats().warm?.instances.coldStarts).toBe(1);
  });

  it("kills an instance that runs past its timeout, reports Sandbox.Timedout and replaces it", async () => {
    const before = pidOf(await invoke(service.client, "short", { action: "sleep", ms: 0 }));
    const started = Date.now();
    const out = await invoke(service.client, "short", { action: "sleep", ms: 5_000 }, { LogType: "Tail" });
    // Killed at 1 s rather than finishing its 5 s sleep: the Sandbox.Timedout answer below says so (no
    // upper bound on wall time, which would only measure the machine).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(out.FunctionError).toBe("Unhandled");
    expect(payloadOf(out)).toEqual({
      errorType: "Sandbox.Timedout",
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
    const log = Buffer.from(out.LogResult ?? "", "base64").toString();
    expect(log).toContain(`Z ${out.$metadata.requestId} Task timed out after 1.00 seconds`);
    expect(log).toContain("Status: timeout");
    expect(processExists(before)).toBe(false);
    const after = pidOf(await invoke(service.client, "short", { action: "sleep", ms: 0 }));
    expect(after).not.toBe(before);
  });

  it("reports an instance that exits mid-invocation as Runtime.ExitError and replaces it", async () => {
    const before = pidOf(await invoke(service.client, "crashy", {}));
    const out = await invoke(service.client, "crashy", { action: "crash", code: 3 }, { LogType: "Tail" });
    expect(out.FunctionError).toBe("Unhandled");
    expect(payloadOf(out)).toEqual({
      errorType: "Runtime.ExitError",
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: exit status 3`,
    });
    const log = Buffer.from(out.LogResult ?? "", "base64").toString();
    expect(log).toContain("about to crash");
    expect(log).toMatch(/Status: error\tError Type: Runtime.ExitError/);
    const after = pidOf(await invoke(service.client, "crashy", {}));
    expect(after).not.toBe(before);
    expect(processExists(before)).toBe(false);
  });
});

describe("concurrency", () => {
  it("runs at most reservedConcurrency invocations at once and throttles the rest with 429", async () => {
    const calls = [0, 1, 2].map((i) =>
      invoke(service.client, "one-at-a-time", { action: "sleep", ms: 800 + i }).then(
        (out) => ({ ok: true as const, out }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    const results = await Promise.all(calls);
    const ok = results.filter((r) => r.ok);
    const throttled = results.flatMap((r) => (r.ok ? [] : [r.error]));
    expect(ok).toHaveLength(1);
    expect(throttled).toHaveLength(2);
    for (const error of throttled) {
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect((error as TooManyRequestsException).Reason).toBe(
        "ReservedFunctionConcurrentInvocationLimitExceeded",
      );
    }
    expect(service.lambda.pids("one-at-a-time")).toHaveLength(1);
  });

  it("runs concurrent calls on separate instances up to the service-wide cap", async () => {
    const outs = await Promise.all(
      [0, 1, 2].map(() => invoke(service.client, "capped", { action: "sleep", ms: 500 })),
    );
    expect(new Set(outs.map(pidOf)).size).toBe(3);
  });

  it("lets reserved concurrency be changed at run time", async () => {
    service.lambda.configure("one-at-a-time", { reservedConcurrency: 3 });
    const outs = await Promise.all(
      [0, 1, 2].map(() => invoke(service.client, "one-at-a-time", { action: "sleep", ms: 200 })),
    );
    expect(outs.every((out) => out.StatusCode === 200)).toBe(true);
    service.lambda.configure("one-at-a-time", { reservedConcurrency: 1 });
  });
});

describe("configure()", () => {
  it("replaces warm instances when the function's environment changes", async () => {
    const first = payloadOf(await invoke(service.client, "capped", {})) as {
      pid: number;
      env: Record<string, string>;
    };
    service.lambda.configure("capped", { environment: { FIXTURE_VERSION: "2" } });
    const second = payloadOf(await invoke(service.client, "capped", {})) as {
      pid: number;
      env: Record<string, string>;
    };
    expect(second.env.FIXTURE_VERSION).toBe("2");
    expect(first.env.FIXTURE_VERSION).toBeUndefined();
    expect(second.pid).not.toBe(first.pid);
  });

  it("refuses a configuration Lambda would refuse", () => {
    expect(() => service.lambda.configure("capped", { timeoutSeconds: 0 })).toThrow(/timeoutSeconds/);
  });
});

describe("service-wide concurrency cap", () => {
  it("throttles synchronous calls past maxConcurrency with ConcurrentInvocationLimitExceeded", async () => {
    const own = await startTestService([fixtureSpec("solo", "behaviours")], { maxConcurrency: 1 });
    try {
      const slow = invoke(own.client, "solo", { action: "sleep", ms: 3_000 });
      await waitUntil(
        "the first call to hold the only slot",
        () => own.lambda.stats().solo?.instances.busy === 1,
      );
      const error = await invoke(own.client, "solo", {}).catch((e: unknown) => e);
      expect((error as TooManyRequestsException).Reason).toBe("ConcurrentInvocationLimitExceeded");
      expect((await slow).StatusCode).toBe(200);
    } finally {
      await stopTestService(own);
    }
  });
});

describe("context.getRemainingTimeInMillis", () => {
  it("counts down from the timeout in real time", async () => {
    const started = performance.now();
    const { before, after } = payloadOf(
      await invoke(service.client, "clock", { action: "sleep", ms: 300 }),
    ) as {
      before: number;
      after: number;
    };
    // Bounds relative to the call's own wall time, not constants: true however busy the machine is.
    const elapsedMs = performance.now() - started;
    expect(before).toBeLessThanOrEqual(2_000);
    expect(before).toBeGreaterThanOrEqual(2_000 - elapsedMs - 5);
    expect(before - after).toBeGreaterThanOrEqual(290);
    expect(before - after).toBeLessThanOrEqual(elapsedMs + 5);
  });
});

describe("stop()", () => {
  it("kills every instance and frees the port", async () => {
    const own = await startTestService([fixtureSpec("a", "behaviours"), fixtureSpec("b", "behaviours")]);
    await Promise.all([invoke(own.client, "a", {}), invoke(own.client, "b", {})]);
    const pids = [...own.lambda.pids("a"), ...own.lambda.pids("b")];
    expect(pids).toHaveLength(2);
    const { port } = own.lambda;
    await stopTestService(own);
    expect(pids.filter(processExists)).toEqual([]);
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
    });
  });

  it("ends an invocation in flight when stopped, leaving no process", async () => {
    // The handler would sleep for a minute: stop() must end it, not wait (this test's timeout is 20 s).
    const own = await startTestService([fixtureSpec("sleepy", "behaviours", { timeoutSeconds: 90 })]);
    const pending = invoke(own.client, "sleepy", { action: "sleep", ms: 60_000 }).catch(
      (error: unknown) => error,
    );
    const pids = await waitUntil("the instance to start", () => {
      const live = own.lambda.pids("sleepy");
      return live.length > 0 && live;
    });
    expect(pids).toHaveLength(1);
    await stopTestService(own);
    await pending;
    expect(pids.filter(processExists)).toEqual([]);
  });
});
