export type { CliContext } from "./context.ts";
export { createContext, defaultSettingsPath, functionNameOf } from "./context.ts";
export { CliError, describeError, ExitCode, UsageError } from "./errors.ts";
export type { FailedListEntry } from "./failed-list.ts";
export { failedList } from "./failed-list.ts";
export type { FailedRecord } from "./failed-records.ts";
export { parseFailedRecord } from "./failed-records.ts";
export type { RedriveOutcome, RedriveReport } from "./failed-redrive.ts";
export { decideForState, failedRedrive } from "./failed-redrive.ts";
export type {
  FailedListFlags,
  FailedRedriveFlags,
  GlobalFlags,
  InvokeFlags,
  StatusFlags,
  SubmitFlags,
} from "./flags.ts";
export { invoke, readPayload } from "./invoke.ts";
export type { Io, Output } from "./io.ts";
export { memoryOutput } from "./io.ts";
export { printable, truncate } from "./output.ts";
export type { RunOptions } from "./program.ts";
export { run } from "./program.ts";
export type { StatusReport } from "./status.ts";
export { status } from "./status.ts";
export { submit, validateJob } from "./submit.ts";
