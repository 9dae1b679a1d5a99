import { describe, expect, it } from "vitest";
import { InvalidFunctionSpecError } from "./errors.ts";
import { decideRunFault, decideThrottle, validateFaults } from "./faults.ts";

describe("fault decisions", () => {
  it("injects an error when the random draw falls under errorRate", () => {
    expect(decideRunFault({ errorRate: 0.5 }, () => 0.49).kind).toBe("error");
    expect(decideRunFault({ errorRate: 0.5 }, () => 0.5).kind).toBe("none");
  });

  it("forces a timeout before considering errors", () => {
    expect(decideRunFault({ forceTimeout: true, errorRate: 1 }, () => 0).kind).toBe("timeout");
  });

  it("throttles when the draw falls under throttleRate, never at rate 0", () => {
    expect(decideThrottle({ throttleRate: 0.25 }, () => 0.2)).toBe(true);
    expect(decideThrottle({ throttleRate: 0.25 }, () => 0.3)).toBe(false);
    expect(decideThrottle({}, () => 0)).toBe(false);
  });

  it("rejects rates outside 0..1 and negative latency", () => {
    expect(() => validateFaults({ throttleRate: -0.1 })).toThrow(InvalidFunctionSpecError);
    expect(() => validateFaults({ latencyMs: -1 })).toThrow(InvalidFunctionSpecError);
  });
});
