import { type CostPerMillion, costPerMillion, gbSeconds, type PerTask } from "./cost.ts";
import { prices as defaultPrices, type Prices } from "./prices.ts";

/**
 * What the same job (one worker invocation per task, each task run once) costs on the designs a team would
 * weigh against fanout, priced from published prices on the per-task requests each design makes. fanout's
 * and the original sample's figures are measured by the bench; the others are modelled from their documented
 * behaviour (each assumption is in `how`), with the worker's own Lambda cost taken from fanout's measured
 * worker, since the handler's work is the same whoever calls it. Pure arithmetic, unit-tested.
 */
export interface Alternative {
  name: string;
  /** What is counted per task, and what the design leaves out. */
  how: string;
  perMillion: CostPerMillion & { orchestration: number };
}

export interface AlternativesInput {
  /** fanout's measured per-task figures (the e2e job). */
  ours: PerTask;
  /** The original sample's measured per-task figures, when the throughput step ran. */
  original?: PerTask;
  /** fanout's measured worker: billed ms per task and memory. */
  workerMs: number;
  workerMemoryMb: number;
  prices?: Prices;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const withOrchestration = (cost: CostPerMillion, orchestration: number) => ({
  ...cost,
  orchestration: round(orchestration),
  total: round(cost.total + orchestration),
});

/** Lambda billed duration of an Express child that waits for a synchronous worker invoke. */
const expressChildMs = (workerMs: number) =>
  Math.max(100, Math.ceil((workerMs + invokeOverheadMs) / 100) * 100);
/** A synchronous Lambda invoke's round trip beyond the handler's run (an estimate, stated). */
const invokeOverheadMs = 30;

export function priceAlternatives(input: AlternativesInput): Alternative[] {
  const p = input.prices ?? defaultPrices;
  const worker = gbSeconds(input.workerMs, input.workerMemoryMb);
  const workerOnly: PerTask = {
    requests: {},
    dynamoWriteUnits: 0,
    dynamoReadUnits: 0,
    lambdaInvocations: 1,
    lambdaGbSeconds: worker,
  };
  const out: Alternative[] = [
    {
      name: "fanout (measured)",
      how: "the e2e job's measured requests, units and billed ms of all three functions",
      perMillion: withOrchestration(costPerMillion(input.ours, p), 0),
    },
  ];
  if (input.original)
    out.push({
      name: "original sample (measured)",
      how: "its algorithm on the same stack: deletes before dispatch (loses work), check-then-write dedup",
      perMillion: withOrchestration(costPerMillion(input.original, p), 0),
    });
  out.push(
    {
      name: "SQS event source mapping + Powertools Idempotency",
      how:
        "batch size 1 (one worker per task): SendMessageBatch 0.1, ReceiveMessage 1, DeleteMessageBatch 1 per task " +
        "(idle long polls of the mapping's pollers not counted); Idempotency's conditional PutItem (INPROGRESS) " +
        "and UpdateItem (COMPLETED) per task, 1 unit each; no job counts, completion, notice, cancel or cap",
      perMillion: withOrchestration(
        costPerMillion(
          {
            ...workerOnly,
            requests: { "SQS.SendMessageBatch": 0.1, "SQS.ReceiveMessage": 1, "SQS.DeleteMessageBatch": 1 },
            dynamoWriteUnits: 2,
          },
          p,
        ),
        0,
      ),
    },
    {
      name: "Step Functions Distributed Map, Standard children",
      how:
        "one state transition per child started (the Distributed Map's charge) and one for the child's Task " +
        "state invoking the worker; the parent's few transitions and the S3 item reads not counted",
      perMillion: withOrchestration(
        costPerMillion(workerOnly, p),
        2 * p.stepFunctionsPerThousandTransitions * 1_000,
      ),
    },
    {
      name: "Step Functions Distributed Map, Express children",
      how:
        `one state transition per child started, one Express request, and the child's duration at 64 MB ` +
        `(the worker's ${Math.round(input.workerMs)} ms + ${invokeOverheadMs} ms invoke, rounded up to 100 ms)`,
      perMillion: withOrchestration(
        costPerMillion(workerOnly, p),
        p.stepFunctionsPerThousandTransitions * 1_000 +
          p.expressPerMillionRequests +
          gbSeconds(expressChildMs(input.workerMs), 64) * 1_000_000 * p.expressPerGbSecond,
      ),
    },
  );
  return out;
}
