import { SNSClient } from "@aws-sdk/client-sns";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";

/** An SNS client with fanout's connection pool and request counting; create it once per container. */
export function createSnsClient(options: ClientOptions = {}): SNSClient {
  return countRequests(new SNSClient(clientOptions(options)), "SNS");
}
