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
