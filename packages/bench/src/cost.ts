import { prices as defaultPrices, type Prices } from "./prices.ts";

/** What one task costs in each billed dimension, measured by a run. */
export interface PerTask {
  /** Requests by `Service.Operation` per task (SDK middleware counts). */
  requests: Record<string, number>;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** Lambda invocations per task (worker, plus each task's share of main and consumer runs). */
  lambdaInvocations: number;
  /** Lambda GB-seconds per task: billed ms × configured memory, summed over functions. */
  lambdaGbSeconds: number;
}

export interface CostPerMillion {
  sqs: number;
  dynamo: number;
  lambdaRequests: number;
  lambdaCompute: number;
  total: number;
}

/** Requests of one service per task, from `Service.Operation` keys. */
export function serviceRequests(requests: Record<string, number>, service: string): number {
  return Object.entries(requests)
    .filter(([key]) => key.startsWith(`${service}.`))
    .reduce((n, [, v]) => n + v, 0);
}

/** Dollars per million tasks at `prices`. Lambda invoke requests are billed as Lambda requests, not twice. */
export function costPerMillion(perTask: PerTask, prices: Prices = defaultPrices): CostPerMillion {
  const sqs = serviceRequests(perTask.requests, "SQS") * prices.sqsPerMillionRequests;
  const dynamo =
    perTask.dynamoWriteUnits * prices.dynamoPerMillionWriteUnits +
    perTask.dynamoReadUnits * prices.dynamoPerMillionReadUnits;
  const lambdaRequests = perTask.lambdaInvocations * prices.lambdaPerMillionRequests;
  const lambdaCompute = perTask.lambdaGbSeconds * 1_000_000 * prices.lambdaArmPerGbSecond;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    sqs: round(sqs),
    dynamo: round(dynamo),
    lambdaRequests: round(lambdaRequests),
    lambdaCompute: round(lambdaCompute),
    total: round(sqs + dynamo + lambdaRequests + lambdaCompute),
  };
}

/** GB-seconds of `billedMs` milliseconds at `memoryMb`. */
export function gbSeconds(billedMs: number, memoryMb: number): number {
  return (billedMs / 1000) * (memoryMb / 1024);
}
