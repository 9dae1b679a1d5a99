import { costPerMillion, gbSeconds, type PerTask } from "./cost.ts";
import { prices as defaultPrices, type Prices } from "./prices.ts";

/**
 * A model of one large job on AWS, from documented default quotas and the requests per task the local
 * runs measured. Pure arithmetic (no I/O), unit-tested; every quota carries the AWS page it comes from
 * (checked 2026-12).
 */

export interface Quota {
  value: number;
  unit: string;
  source: string;
}

export const awsQuotas = {
  /** Account concurrency, shared by every function in the Region (consumers and workers). */
  lambdaConcurrency: {
    value: 1_000,
    unit: "concurrent executions per Region (default)",
    source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
  },
  /** Asynchronous Invoke: "each instance of your execution environment can serve an unlimited number of
   * requests"; the total is bounded only by the concurrency available to the function. */
  lambdaAsyncInvokeRate: {
    value: Number.POSITIVE_INFINITY,
    unit: "Invoke (Event) requests/s: unlimited per environment, bounded by concurrency",
    source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
  },
  /** Scaling rate: 1,000 new execution environments every 10 s, per function. */
  lambdaScalingPer10s: {
    value: 1_000,
    unit: "new execution environments per 10 s per function",
    source: "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html",
  },
  /** Standard queue: nearly unlimited API calls per second per action. */
  sqsApiRate: {
    value: Number.POSITIVE_INFINITY,
    unit: "SQS API calls/s per action (standard queue: nearly unlimited)",
    source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html",
  },
  sqsInFlight: {
    value: 120_000,
    unit: "in-flight messages per standard queue (approximately)",
    source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html",
  },
  /** Per partition, so per item: one item never gets more. */
  dynamoPartitionWcu: {
    value: 1_000,
    unit: "write units/s per partition",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html",
  },
  dynamoPartitionRcu: {
    value: 3_000,
    unit: "read units/s per partition (strongly consistent reads of items up to 4 KB: 1 unit each)",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html",
  },
  dynamoTableWru: {
    value: 40_000,
    unit: "write request units/s per on-demand table (default table-level quota)",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html",
  },
  dynamoNewTableWru: {
    value: 4_000,
    unit: "write request units/s a new on-demand table sustains at once (then up to double its previous peak)",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html",
  },
} as const satisfies Record<string, Quota>;

export type AwsQuotas = { [K in keyof typeof awsQuotas]: Quota };

export interface AwsModelInput {
  tasks: number;
  /** Consumer runs at once for each scenario (e.g. 1 and max_parallel). */
  consumers: readonly number[];
  /** Dispatch rate of one consumer run on AWS (tasks/s), and how it was derived. */
  perConsumerRate: number;
  perConsumerRateFrom: string;
  /** Messages one consumer run holds in flight at most: pollers × 10 + dispatch concurrency. */
  inFlightPerConsumer: number;
  /** Measured per task: requests by Service.Operation; DynamoDB write and read units. */
  requestsPerTask: Record<string, number>;
  writeUnitsPerTask: number;
  readUnitsPerTask: number;
  /** Strongly consistent reads of one item per task (the job record each worker run reads). */
  hotItemReadsPerTask: number;
  /** Billed ms of a worker run, and the functions' memory. */
  workerMs: number;
  workerMemoryMb: number;
  consumerMemoryMb: number;
  quotas?: AwsQuotas;
  prices?: Prices;
}

export interface AwsScenario {
  consumers: number;
  /** N × per-consumer rate, before any quota. */
  demandRate: number;
  /** The rate after every quota, and the one that binds ("consumers" when none does). */
  rate: number;
  limitedBy: string;
  caps: Record<string, number>;
  /** Worker executions at once at `rate` (rate × worker duration). */
  workerConcurrency: number;
  /** Time for Lambda to scale the worker to that concurrency (1,000 per 10 s). */
  rampSeconds: number;
  /** tasks ÷ rate, plus half the ramp (a linear ramp runs at half speed on average). */
  dispatchSeconds: number;
  inFlight: number;
  /** Would a new on-demand table's initial 4,000 WRU/s throttle this rate? */
  newTableThrottles: boolean;
  costPerJob: { total: number; sqs: number; dynamo: number; lambdaRequests: number; lambdaCompute: number };
}

/** The job on AWS for each consumer count: rate, binding quota, dispatch time and $ per job. */
export function modelAwsJob(input: AwsModelInput): AwsScenario[] {
  const q = input.quotas ?? awsQuotas;
  const workerSeconds = input.workerMs / 1000;
  return input.consumers.map((n) => {
    const demandRate = n * input.perConsumerRate;
    const caps: Record<string, number> = {
      "Lambda concurrency": workerSeconds > 0 ? (q.lambdaConcurrency.value - n) / workerSeconds : Infinity,
      "Lambda async Invoke rate": q.lambdaAsyncInvokeRate.value,
      "SQS API rate": q.sqsApiRate.value,
      "DynamoDB table WRU":
        input.writeUnitsPerTask > 0 ? q.dynamoTableWru.value / input.writeUnitsPerTask : Infinity,
      "DynamoDB hot item (job record) RCU":
        input.hotItemReadsPerTask > 0 ? q.dynamoPartitionRcu.value / input.hotItemReadsPerTask : Infinity,
    };
    let rate = demandRate;
    let limitedBy = "consumers";
    for (const [name, cap] of Object.entries(caps)) {
      if (cap < rate) {
        rate = cap;
        limitedBy = name;
      }
    }
    const inFlight = n * input.inFlightPerConsumer;
    if (inFlight > q.sqsInFlight.value) {
      // More runs than the queue lets hold messages: only 120,000 / per-run in-flight runs can work at once.
      const runs = Math.floor(q.sqsInFlight.value / input.inFlightPerConsumer);
      if (runs * input.perConsumerRate < rate) {
        rate = runs * input.perConsumerRate;
        limitedBy = "SQS in-flight messages";
      }
    }
    const workerConcurrency = rate * workerSeconds;
    const rampSeconds = (workerConcurrency / q.lambdaScalingPer10s.value) * 10;
    const dispatchSeconds = input.tasks / rate + rampSeconds / 2;
    const perTask: PerTask = {
      requests: input.requestsPerTask,
      dynamoWriteUnits: input.writeUnitsPerTask,
      dynamoReadUnits: input.readUnitsPerTask,
      // One worker run per task; consumer runs are a handful per job (their requests are counted above).
      lambdaInvocations: 1,
      lambdaGbSeconds:
        gbSeconds(input.workerMs, input.workerMemoryMb) +
        gbSeconds(dispatchSeconds * 1000 * n, input.consumerMemoryMb) / input.tasks,
    };
    const perMillion = costPerMillion(perTask, input.prices ?? defaultPrices);
    const scale = input.tasks / 1_000_000;
    const round = (x: number) => Math.round(x * scale * 100) / 100;
    return {
      consumers: n,
      demandRate,
      rate,
      limitedBy,
      caps,
      workerConcurrency,
      rampSeconds,
      dispatchSeconds,
      inFlight,
      newTableThrottles: rate * input.writeUnitsPerTask > q.dynamoNewTableWru.value,
      costPerJob: {
        total: round(perMillion.total),
        sqs: round(perMillion.sqs),
        dynamo: round(perMillion.dynamo),
        lambdaRequests: round(perMillion.lambdaRequests),
        lambdaCompute: round(perMillion.lambdaCompute),
      },
    };
  });
}

/**
 * One consumer run's rate on AWS: a latency-bound run scales with 1/latency, so the rate measured at
 * `measuredLatencyMs` times measured/AWS latency, but never above the rate measured at 0 ms (then the run
 * is bound by its CPU, which is one vCPU at the consumer's 1,769 MB, about one core here).
 */
export function awsConsumerRate(options: {
  rateAtLatency: number;
  measuredLatencyMs: number;
  awsLatencyMs: number;
  rateAtZeroMs?: number;
}): { rate: number; from: string } {
  const scaled = (options.rateAtLatency * options.measuredLatencyMs) / options.awsLatencyMs;
  const z = options.rateAtZeroMs;
  if (z !== undefined && Number.isFinite(z) && z < scaled)
    return {
      rate: z,
      from: `the 0 ms rate measured here (${z.toFixed(0)}/s; CPU-bound), below the latency-scaled ${scaled.toFixed(0)}/s (${options.rateAtLatency.toFixed(0)}/s at ${options.measuredLatencyMs} ms × ${options.measuredLatencyMs}/${options.awsLatencyMs} ms)`,
    };
  return {
    rate: scaled,
    from: `${options.rateAtLatency.toFixed(0)}/s measured at ${options.measuredLatencyMs} ms × ${options.measuredLatencyMs}/${options.awsLatencyMs} ms AWS request latency`,
  };
}
