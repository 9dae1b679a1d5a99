import { describe, expect, it, vi } from "vitest";
import { createTracer, tracingEnabled } from "./tracing.ts";

const lambda = { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x" };

describe("tracingEnabled", () => {
  it.each([
    [{}, false],
    [lambda, true],
    [{ ...lambda, POWERTOOLS_TRACE_ENABLED: "false" }, false],
    [{ ...lambda, POWERTOOLS_TRACE_ENABLED: "true" }, true],
    [{ ...lambda, POWERTOOLS_TRACE_DISABLED: "true" }, false],
    [{ ...lambda, AWS_SAM_LOCAL: "true" }, false],
  ])("%j → %s", (env, enabled) => {
    expect(tracingEnabled(env)).toBe(enabled);
  });
});

describe("createTracer", () => {
  it("is a no-op when tracing is off: clients and handlers are returned as they are", async () => {
    const tracer = await createTracer("worker", { ...lambda, POWERTOOLS_TRACE_ENABLED: "false" });
    const client = { send: () => 1 };
    const handler = async () => 1;
    expect(tracer.enabled).toBe(false);
    expect(tracer.captureClient(client)).toBe(client);
    expect(tracer.wrap(handler)).toBe(handler);
  });

  it("when on, wraps the handler and passes its result and errors through (no segment outside Lambda)", async () => {
    // Powertools reads process.env itself.
    vi.stubEnv("AWS_EXECUTION_ENV", lambda.AWS_EXECUTION_ENV);
    vi.stubEnv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR");
    const tracer = await createTracer("main", process.env);
    vi.unstubAllEnvs();
    expect(tracer.enabled).toBe(true);
    const context = { awsRequestId: "r", functionName: "f", getRemainingTimeInMillis: () => 1000 };
    const ok = tracer.wrap(
      async (event: { jobId: string }) => event.jobId,
      (e) => ({ jobId: e.jobId }),
    );
    await expect(ok({ jobId: "j1" }, context)).resolves.toBe("j1");
    const failing = tracer.wrap(async () => {
      throw new Error("boom");
    });
    await expect(failing({}, context)).rejects.toThrow("boom");
  });
});
