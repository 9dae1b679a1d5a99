import { describe, expect, it } from "vitest";
import { parseOptions } from "./options.ts";

describe("parseOptions", () => {
  it("uses the full preset by default and the quick one with --quick", () => {
    expect(parseOptions({})).toMatchObject({
      mode: "full",
      sizes: [1_000, 10_000],
      latencies: [0, 10],
      e2eTasks: 10_000,
    });
    expect(parseOptions({ quick: true })).toMatchObject({ mode: "quick", sizes: [100] });
  });

  it("converts and validates comma lists and numbers given as strings", () => {
    expect(
      parseOptions({ sizes: "500, 2000", latencies: "10", rounds: "2", steps: "e2e,bundles" }),
    ).toMatchObject({
      sizes: [500, 2_000],
      latencies: [10],
      rounds: 2,
      steps: ["e2e", "bundles"],
    });
  });

  it("fills --compare-ref from its preset and refuses a ref that git would read as an option", () => {
    expect(parseOptions({ compareRef: "a1508ce" }).compare).toEqual({
      ref: "a1508ce",
      tasks: 5_000,
      rounds: 3,
      latencyMs: 0,
    });
    expect(
      parseOptions({ compareRef: "v0.1.0", quick: true, compareTasks: "800", rounds: "2" }).compare,
    ).toEqual({ ref: "v0.1.0", tasks: 800, rounds: 2, latencyMs: 0 });
    expect(parseOptions({}).compare).toBeUndefined();
    expect(() => parseOptions({ compareRef: "--upload-pack=touch /tmp/x" })).toThrow(/commit, tag or branch/);
    expect(() => parseOptions({ compareRef: "HEAD~1", compareTasks: "5" })).toThrow();
  });

  it("fills --scale from its preset, full or quick, and takes each scale flag", () => {
    expect(parseOptions({ scale: true }).scale).toMatchObject({
      mode: "self-scale",
      consumers: [1, 2, 4, 8],
      latencyMs: 100,
      e2eTasks: 100_000,
      sections: ["bundles", "scale-out", "ceiling", "e2e", "source", "model"],
    });
    expect(parseOptions({ scale: true, quick: true }).scale).toMatchObject({ e2eTasks: 2_000 });
    expect(
      parseOptions({
        scale: true,
        scaleMode: "invoke-n",
        scaleConsumers: "1,4",
        scaleTasks: "500",
        scaleE2eTasks: "5000",
        scaleSections: "scale-out,model",
      }).scale,
    ).toMatchObject({
      mode: "invoke-n",
      consumers: [1, 4],
      tasksPerConsumer: 500,
      e2eTasks: 5_000,
      sections: ["scale-out", "model"],
    });
    expect(parseOptions({}).scale).toBeUndefined();
  });

  it.each([
    [{ scale: true, scaleMode: "both" }, "scaleMode"],
    [{ scale: true, scaleConsumers: "0,2" }, "scaleConsumers"],
    [{ scale: true, scaleE2eTasks: "1000000" }, "scaleE2eTasks"],
    [{ scale: true, scaleSections: "e2e,nope" }, "scaleSections"],
    [{ sizes: "5" }, "sizes"],
    [{ sizes: "1000,x" }, "sizes"],
    [{ latencies: "-1" }, "latencies"],
    [{ e2eTasks: "20000" }, "e2eTasks"],
    [{ steps: "bundles,nope" }, "steps"],
    [{ surprise: true }, "surprise"],
  ])("refuses %j, naming %s", (flags, name) => {
    expect(() => parseOptions(flags)).toThrow(name);
  });
});
