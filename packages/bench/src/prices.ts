/**
 * Public AWS prices used for cost per task: us-east-1, as listed on the AWS pricing pages on the date
 * below. Change them here and only here (with the date).
 */
export const prices = {
  date: "2026-11-29",
  region: "us-east-1",
  /** SQS standard queue, per request (each 64 KB chunk of a payload is one request; ours are far smaller). */
  sqsPerMillionRequests: 0.4,
  /** DynamoDB on-demand, per write request unit (1 KB) and per read request unit (4 KB, strongly consistent). */
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  /** Lambda requests, and compute per GB-second on arm64. */
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  /**
   * Step Functions (checked 2026-12-07, https://aws.amazon.com/step-functions/pricing/): a Standard
   * workflow's state transitions; an Express workflow's requests, and its duration per GB-second (rounded up
   * to 100 ms, memory in 64 MB chunks; the first tier's price).
   */
  stepFunctionsPerThousandTransitions: 0.025,
  expressPerMillionRequests: 1.0,
  expressPerGbSecond: 0.00001667,
} as const;

export type Prices = typeof prices;
