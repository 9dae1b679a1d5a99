export type { BaselineRun, BaselineTarget } from "./baseline.ts";
export { baselineEnqueue, baselineInvocation } from "./baseline.ts";
export type { CostPerMillion, PerTask } from "./cost.ts";
export { costPerMillion, gbSeconds } from "./cost.ts";
export { parseOptions } from "./options.ts";
export { prices } from "./prices.ts";
