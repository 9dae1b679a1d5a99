import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The CI budget of schedules runs in one test; it must finish on a busy 2-core machine.
    testTimeout: 900_000,
    env: {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "sim",
      AWS_SECRET_ACCESS_KEY: "sim",
      AWS_ENDPOINT_URL_DYNAMODB: "http://dynamodb.sim",
      AWS_ENDPOINT_URL_SQS: "http://sqs.sim",
      AWS_ENDPOINT_URL_LAMBDA: "http://lambda.sim",
      LOG_LEVEL: "SILENT",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    },
  },
});
