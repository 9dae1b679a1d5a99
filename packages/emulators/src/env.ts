import { defaultRegion, localCredentials } from "./credentials.ts";

export interface AwsEnvOptions {
  sqsEndpoint: string;
  /** Default `sqsEndpoint`: fauxqs serves SNS on the SQS port. */
  snsEndpoint?: string;
  dynamoEndpoint: string;
  /** The local Lambda service, if any. */
  lambdaEndpoint?: string;
  region?: string;
}

/**
 * Environment variables that point the AWS SDK (and CLI) of a child process at the emulators, through the
 * SDK's standard service-specific endpoint settings. Spread into `spawn(..., { env: { ...process.env, ...awsEnv(e) } })`.
 */
export function awsEnv(options: AwsEnvOptions): Record<string, string> {
  const region = options.region ?? defaultRegion;
  return {
    AWS_ENDPOINT_URL_SQS: options.sqsEndpoint,
    AWS_ENDPOINT_URL_SNS: options.snsEndpoint ?? options.sqsEndpoint,
    // fauxqs serves S3 (the job sources' bucket) on the same port too.
    AWS_ENDPOINT_URL_S3: options.snsEndpoint ?? options.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint,
    ...(options.lambdaEndpoint === undefined ? {} : { AWS_ENDPOINT_URL_LAMBDA: options.lambdaEndpoint }),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
  };
}
