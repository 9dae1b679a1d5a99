import type { TaskChange } from "@fanout/job-state";
import { z } from "zod";
import { TaskStatus } from "./task-keys.ts";

/**
 * The task record's attributes the counts read, as a stream record's new image carries them (DynamoDB
 * JSON). Every writer of a task record sets `jobId`, `idx` and `epoch` with its status (claim, start,
 * outcome, close, requeue).
 */
const taskImage = z.object({
  pk: z.object({ S: z.string().startsWith("TASK#") }),
  status: z.object({ S: z.string() }),
  jobId: z.object({ S: z.string().min(1) }),
  idx: z.object({ N: z.string().regex(/^\d+$/) }),
  epoch: z.object({ N: z.string().regex(/^\d+$/) }).optional(),
  finalFailure: z.object({ BOOL: z.boolean() }).optional(),
});

/**
 * What a task record's new state means for its job's counts, or undefined when it means nothing (claimed,
 * dispatched, running) or is not a task record fanout wrote. A FAILED record counts as a final failure only
 * when the worker judged it final; REQUEUED (a redrive) takes the task out of the failed count.
 */
export function taskChangeOf(newImage: unknown): TaskChange | undefined {
  const parsed = taskImage.safeParse(newImage);
  if (!parsed.success) return undefined;
  const image = parsed.data;
  const status = foldStatusOf(image.status.S, image.finalFailure?.BOOL === true);
  if (status === undefined) return undefined;
  return {
    jobId: image.jobId.S,
    epoch: Number(image.epoch?.N ?? 0),
    index: Number(image.idx.N),
    status,
  };
}

function foldStatusOf(status: string, final: boolean): TaskChange["status"] | undefined {
  switch (status) {
    case TaskStatus.Succeeded:
      return "SUCCEEDED";
    case TaskStatus.Failed:
      return final ? "FAILED" : "RETRYING";
    case TaskStatus.Cancelled:
      return "CANCELLED";
    case TaskStatus.Requeued:
      return "UNCOUNTED";
    default:
      return undefined;
  }
}

/** The statuses whose records the counts need: the stream trigger's filter passes only these. */
export const countedTaskStatuses = [
  TaskStatus.Succeeded,
  TaskStatus.Failed,
  TaskStatus.Cancelled,
  TaskStatus.Requeued,
] as const;

/**
 * How the table's stream is mapped to the consumer (ADR 0015, decision 2), the same on AWS (Terraform's
 * `aws_lambda_event_source_mapping`, compared with this by a test), on the local stack and in the fault
 * explorer: only task records in a counted status; batches of up to 1,000 gathered for up to 2 s (each batch
 * writes a counter shard once for all its tasks); retried from the first failed record until the records
 * expire (a failure is a DynamoDB fault, which passes; a record the fold cannot read is skipped, never
 * retried), without bisection (a split batch would apply a task's older change after its newer one).
 */
export const taskStreamMapping = {
  filter: JSON.stringify({
    dynamodb: {
      Keys: { pk: { S: [{ prefix: "TASK#" }] } },
      NewImage: { status: { S: [...countedTaskStatuses] } },
    },
  }),
  batchSize: 1_000,
  batchingWindowSeconds: 2,
  maximumRetryAttempts: -1,
} as const;
