#!/usr/bin/env node
// pnpm chaos: the fault explorer (see README.md). Environment first: the functions' SDK clients read it.
Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "sim",
  AWS_SECRET_ACCESS_KEY: "sim",
  AWS_ENDPOINT_URL_DYNAMODB: "http://dynamodb.sim",
  AWS_ENDPOINT_URL_SQS: "http://sqs.sim",
  AWS_ENDPOINT_URL_LAMBDA: "http://lambda.sim",
  LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? "SILENT",
  POWERTOOLS_LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? "SILENT",
});
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
