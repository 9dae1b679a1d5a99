export type { ExploreOptions, ExploreReport, Failure } from "./explore.ts";
export { explore } from "./explore.ts";
export type { ScheduleResult, Violation } from "./scenario.ts";
export type { StackChaosOptions, StackChaosReport } from "./stack-chaos.ts";
export { stackChaos } from "./stack-chaos.ts";
