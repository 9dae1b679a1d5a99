export type { S3Client } from "@aws-sdk/client-s3";
export { createS3Client } from "./client.ts";
export { openSource, SourceChangedError, SourceNotFoundError } from "./object.ts";
export { readRecords, SourceLayoutError } from "./records.ts";
