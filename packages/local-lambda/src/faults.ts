import { InvalidFunctionSpecError } from "./errors.ts";
import type { Faults, FunctionErrorBody } from "./types.ts";

/** What fault, if any, to inject into one invocation. */
export type FaultDecision =
  | { kind: "none" }
  | { kind: "throttle" }
  | { kind: "error"; error: FunctionErrorBody }
  | { kind: "timeout" };

export function validateFaults(faults: Faults): Faults {
  for (const key of ["errorRate", "throttleRate"] as const) {
    const rate = faults[key];
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new InvalidFunctionSpecError(`${key} must be between 0 and 1, got ${rate}`);
    }
  }
  if (faults.latencyMs !== undefined && !(faults.latencyMs >= 0)) {
    throw new InvalidFunctionSpecError(`latencyMs must be >= 0, got ${faults.latencyMs}`);
  }
  return { ...faults };
}

/** Throttling is decided before a slot is taken (a throttled call never runs). */
export function decideThrottle(faults: Faults, random: () => number): boolean {
  return (faults.throttleRate ?? 0) > 0 && random() < (faults.throttleRate ?? 0);
}

/** Decided once the invocation holds an instance: forced timeout first, then an injected error. */
export function decideRunFault(faults: Faults, random: () => number): FaultDecision {
  if (faults.forceTimeout === true) return { kind: "timeout" };
  const rate = faults.errorRate ?? 0;
  if (rate > 0 && random() < rate) {
    return {
      kind: "error",
      error: {
        errorType: "InjectedFault",
        errorMessage: `Injected fault (errorRate ${rate})`,
        trace: ["InjectedFault: injected by the local Lambda service's fault settings"],
      },
    };
  }
  return { kind: "none" };
}
