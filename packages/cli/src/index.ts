// What other packages use: the chaos explorer drives the CLI in-process (`run`) and calls its redrive.
export type { CliContext } from "./context.ts";
export { failedRedrive, redriveVisibilitySeconds } from "./failed-redrive.ts";
export { memoryOutput } from "./io.ts";
export { run } from "./program.ts";
