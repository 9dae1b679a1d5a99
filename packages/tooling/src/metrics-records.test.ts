import { Metrics } from "@aws-lambda-powertools/metrics";
import { createMetrics } from "@fanout/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { emfData, sumMetrics } from "./emf.ts";

// core's createMetrics, read back by the EMF reader here (the reader is tooling: the functions only write).

/** EMF lines Powertools wrote to stdout while `run` ran, parsed. */
function captureEmf(run: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return written
    .join("")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("createMetrics", () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("sums counts per invocation into one EMF record with the function dimension only", () => {
    const metrics = createMetrics("consumer");
    const lines = captureEmf(() => {
      for (let i = 0; i < 250; i++) metrics.count("TasksDispatched");
      metrics.count("DuplicatesDropped", 3);
      metrics.flush();
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? {};
    expect(line).toMatchObject({ function: "consumer", TasksDispatched: 250, DuplicatesDropped: 3 });
    expect(line).not.toHaveProperty("service");
    expect(emfData(line)).toEqual([
      expect.objectContaining({
        namespace: "Fanout",
        name: "TasksDispatched",
        unit: "Count",
        dimensions: { function: "consumer" },
        values: [250],
      }),
      expect.objectContaining({ name: "DuplicatesDropped", values: [3] }),
    ]);
  });

  it("writes a metric with an outcome under its own dimension set, and samples as values", () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = "FanoutTest";
    const metrics = createMetrics("worker");
    const lines = captureEmf(() => {
      metrics.count("TasksSucceeded");
      metrics.sample("EnqueueToStartLag", 40);
      metrics.sample("TaskDuration", 12, "succeeded");
      metrics.sample("TaskDuration", 30, "succeeded");
      metrics.sample("TaskDuration", 7, "failed");
      metrics.flush();
    });
    expect(lines).toHaveLength(3);
    const totals = sumMetrics(lines);
    expect(totals.map((t) => [t.namespace, t.name, t.dimensions, t.samples, t.sum])).toEqual([
      ["FanoutTest", "TasksSucceeded", { function: "worker" }, 1, 1],
      ["FanoutTest", "TaskDuration", { function: "worker", outcome: "failed" }, 1, 7],
      ["FanoutTest", "TaskDuration", { function: "worker", outcome: "succeeded" }, 2, 42],
      ["FanoutTest", "EnqueueToStartLag", { function: "worker" }, 1, 40],
    ]);
    expect(totals.find((t) => t.name === "TaskDuration" && t.sum === 42)?.unit).toBe("Milliseconds");
  });

  it("writes nothing when nothing was recorded, and clears what a flush wrote", () => {
    const metrics = createMetrics("main");
    expect(captureEmf(() => metrics.flush())).toEqual([]);
    const first = captureEmf(() => {
      metrics.count("JobsSubmitted", 1, "created");
      metrics.flush();
      metrics.flush();
    });
    expect(first).toHaveLength(1);
  });

  it("reports and drops a value that is not a finite number", () => {
    const errors: unknown[] = [];
    const metrics = createMetrics("main", { onError: (e) => errors.push(e) });
    const lines = captureEmf(() => {
      metrics.count("TasksEnqueued", Number.NaN);
      metrics.sample("EnqueueToStartLag" as never, Number.POSITIVE_INFINITY);
      metrics.count("TasksEnqueued", 1);
      metrics.flush();
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ TasksEnqueued: 1 });
    expect(errors).toHaveLength(2);
  });

  it("never throws from flush: a failing write is reported, and the next invocation starts clean", () => {
    const errors: unknown[] = [];
    const metrics = createMetrics("main", { onError: (e) => errors.push(e) });
    const publish = vi.spyOn(Metrics.prototype, "publishStoredMetrics").mockImplementationOnce(() => {
      throw new Error("stdout is gone");
    });
    const lines = captureEmf(() => {
      metrics.count("TasksEnqueued", 5);
      expect(() => metrics.flush()).not.toThrow();
    });
    publish.mockRestore();
    expect(lines).toEqual([]);
    expect(errors).toEqual([new Error("stdout is gone")]);
    // The next invocation starts clean.
    const next = captureEmf(() => {
      metrics.count("TasksEnqueued", 2);
      metrics.flush();
    });
    expect(next[0]).toMatchObject({ TasksEnqueued: 2 });
  });

  it("is silent when POWERTOOLS_METRICS_DISABLED=true", () => {
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    const metrics = createMetrics("main");
    expect(
      captureEmf(() => {
        metrics.count("TasksEnqueued", 2);
        metrics.flush();
      }),
    ).toEqual([]);
  });
});
