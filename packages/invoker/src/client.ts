import { LambdaClient } from "@aws-sdk/client-lambda";
import { type ClientOptions, clientOptions, countRequests } from "@fanout/core";
import { trackAmbiguity } from "./ambiguity.ts";

/**
 * A Lambda client with fanout's connection pool, request counting, and a record of whether any attempt of a
 * request went unanswered ({@link isAmbiguous}); create it once per container.
 */
export function createLambdaClient(options: ClientOptions = {}): LambdaClient {
  return trackAmbiguity(countRequests(new LambdaClient(clientOptions(options)), "Lambda"));
}
