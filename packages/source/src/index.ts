export type { S3Client } from "@aws-sdk/client-s3";
export { checkSource } from "./check.ts";
export { createS3Client } from "./client.ts";
export { openSource, SourceChangedError, SourceNotFoundError } from "./object.ts";
export { readRecords } from "./records.ts";
