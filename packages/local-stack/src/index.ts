export { ensureBuilt } from "./build.ts";
export { asyncInvokeOf, functionEnvironment, functionSpecs } from "./function-specs.ts";
export { collectLogs } from "./log-collector.ts";
export { defaultSettingsPath, functionNames, repoRoot, stateDir } from "./paths.ts";
export { byService, iamActionOf, sumCapacity, sumRequests } from "./request-report.ts";
export { startStack } from "./stack.ts";
export { submitToMain } from "./submit-job.ts";
