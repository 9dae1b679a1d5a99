export type { S3Client } from "@aws-sdk/client-s3";
export { createS3Client } from "./client.ts";
export type { OpenedSource } from "./object.ts";
export { openSource, SourceChangedError, SourceNotFoundError } from "./object.ts";
export type { ReadRecordsOptions, SourceText } from "./records.ts";
export { readRecords, SourceLayoutError } from "./records.ts";
