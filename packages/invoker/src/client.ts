import { LambdaClient } from "@aws-sdk/client-lambda";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";

/** A Lambda client with fanout's connection pool and request counting; create it once per container. */
export function createLambdaClient(options: ClientOptions = {}): LambdaClient {
  return countRequests(new LambdaClient(clientOptions(options)), "Lambda");
}
