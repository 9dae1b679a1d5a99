import { S3Client } from "@aws-sdk/client-s3";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";

/**
 * An S3 client with fanout's connection pool and request counting; create it once per container. With
 * an endpoint override (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: the local stack), requests are
 * path-style, since a local server has no per-bucket host names.
 */
export function createS3Client(options: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  const local = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return countRequests(new S3Client({ ...clientOptions(options), forcePathStyle: local }), "S3");
}
