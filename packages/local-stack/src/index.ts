export { functionEnvironment, functionSpecs } from "./function-specs.ts";
export type { FunctionName } from "./paths.ts";
export { defaultSettingsPath, functionNames, repoRoot, stateDir, zipPathOf } from "./paths.ts";
export { pickPort } from "./ports.ts";
export type { Scheduler } from "./schedule.ts";
export { schedulePeriodMs, startScheduler } from "./schedule.ts";
export type { Stack, StackOptions } from "./stack.ts";
export { startStack } from "./stack.ts";
export { unpackZip } from "./unzip.ts";
