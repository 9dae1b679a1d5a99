export { createS3Client } from "./client.ts";
export type { OpenedSource } from "./object.ts";
export { openSource, SourceChangedError } from "./object.ts";
export type { ReadRecordsOptions, SourceText } from "./records.ts";
export { readRecords, SourceLayoutError } from "./records.ts";
