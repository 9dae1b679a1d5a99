import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { defaultRegion, localCredentials } from "./credentials.ts";

/** SDK clients as fanout's code builds them, pointed at an emulator (tests only). */
export const sqsClient = (endpoint: string) =>
  new SQSClient({ endpoint, region: defaultRegion, credentials: localCredentials });
export const dynamoClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: defaultRegion, credentials: localCredentials });

/** Resolves with the error a promise rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
