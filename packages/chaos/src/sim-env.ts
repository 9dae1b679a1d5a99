/**
 * The environment of the simulated AWS world: fake credentials and endpoints on hosts that only the
 * simulation's network answers, so no SDK client can reach a real service. Set it before the functions'
 * modules load (their SDK clients read it then).
 */
export function simulatedEnvironment(logLevel = "SILENT"): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "sim",
    AWS_SECRET_ACCESS_KEY: "sim",
    AWS_ENDPOINT_URL_DYNAMODB: "http://dynamodb.sim",
    AWS_ENDPOINT_URL_SQS: "http://sqs.sim",
    AWS_ENDPOINT_URL_LAMBDA: "http://lambda.sim",
    AWS_ENDPOINT_URL_S3: "http://s3.sim",
    LOG_LEVEL: logLevel,
    POWERTOOLS_LOG_LEVEL: logLevel,
  };
}
