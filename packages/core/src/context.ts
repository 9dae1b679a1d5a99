/** The part of Lambda's context object fanout uses (the runtime passes more). */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}
