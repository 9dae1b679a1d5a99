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

  it.each([
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
