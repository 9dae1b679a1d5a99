import { SQSClient } from "@aws-sdk/client-sqs";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";

/** An SQS client with fanout's connection pool and request counting; create it once per container. */
export function createSqsClient(options: ClientOptions = {}): SQSClient {
  return countRequests(new SQSClient(clientOptions(options)), "SQS");
}
