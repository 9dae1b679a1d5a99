import {
  type Continuation,
  continuationSchema,
  isContinuation,
  parseWorkerEvent,
  type Task,
  taskIdOf,
} from "@fanout/core";
import { changeVisibility, type ReceivedMessage, receiveMessages, type SQSClient } from "@fanout/queue";
import { z } from "zod";

/**
 * One message of the failed-task queue: the record Lambda's on-failure destination sends after the
 * worker's async retries ran out (`requestPayload` is the worker event: the task, with the consumer's dispatch
 * token), or after
 * main's retries of a source job's enqueue step ran out (`requestPayload` is the step's continuation).
 */
export interface FailedRecord {
  messageId: string;
  receiptHandle: string;
  /** The task to redrive; undefined when the payload is not a valid task (reported, never resent). */
  task: Task | undefined;
  /** A failed enqueue step of a source job (main's event): the redrive restarts it. */
  step?: Continuation;
  taskId: string | undefined;
  /** The failed event's request id (its dispatch id on a v0.1.0 task record). */
  requestId: string | undefined;
  /** The failed event's dispatch token (none on a v0.1.0 consumer's event or one invoked by hand). */
  token?: string;
  errorType: string | undefined;
  errorMessage: string | undefined;
  condition: string | undefined;
  approximateInvokeCount: number | undefined;
  timestamp: string | undefined;
  /** Why the record cannot be redriven, when it cannot. */
  problem: string | undefined;
}

const recordSchema = z.looseObject({
  timestamp: z.string().optional(),
  requestContext: z
    .looseObject({
      requestId: z.string().optional(),
      condition: z.string().optional(),
      approximateInvokeCount: z.number().optional(),
    })
    .optional(),
  requestPayload: z.unknown(),
  responsePayload: z
    .union([
      z.looseObject({ errorType: z.string().optional(), errorMessage: z.string().optional() }),
      z.unknown(),
    ])
    .optional(),
});

export function parseFailedRecord(message: ReceivedMessage): FailedRecord {
  const base = {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    task: undefined,
    taskId: undefined,
    requestId: undefined,
    errorType: undefined,
    errorMessage: undefined,
    condition: undefined,
    approximateInvokeCount: undefined,
    timestamp: undefined,
  };
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch {
    return { ...base, problem: "message is not JSON (not an on-failure record)" };
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) return { ...base, problem: "message is not an on-failure record" };
  const record = parsed.data;
  const response = record.responsePayload as { errorType?: unknown; errorMessage?: unknown } | undefined;
  const details = {
    ...base,
    errorType: typeof response?.errorType === "string" ? response.errorType : undefined,
    errorMessage: typeof response?.errorMessage === "string" ? response.errorMessage : undefined,
    requestId: record.requestContext?.requestId,
    condition: record.requestContext?.condition,
    approximateInvokeCount: record.requestContext?.approximateInvokeCount,
    timestamp: record.timestamp,
  };
  if (isContinuation(record.requestPayload)) {
    const step = continuationSchema.safeParse(record.requestPayload);
    return step.success
      ? { ...details, step: step.data.continueJob, problem: undefined }
      : { ...details, problem: `invalid enqueue step: ${step.error.issues[0]?.message ?? "unknown"}` };
  }
  try {
    const { task, token } = parseWorkerEvent(record.requestPayload, "requestPayload");
    return {
      ...details,
      task,
      taskId: taskIdOf(task),
      ...(token === undefined ? {} : { token }),
      problem: undefined,
    };
  } catch (error) {
    return { ...details, problem: (error as Error).message };
  }
}

/**
 * Receives up to `max` records, each once (a record seen again after its visibility ran out is dropped
 * from the result but its newest receipt handle is kept so it can be made visible again).
 * Received records stay invisible for `visibilitySeconds`; the caller gives them back with {@link release}.
 */
export async function receiveRecords(
  sqs: SQSClient,
  queueUrl: string,
  options: { max: number; visibilitySeconds: number; waitSeconds?: number },
  onBatch?: (records: FailedRecord[]) => Promise<void>,
): Promise<{ records: FailedRecord[]; extraHandles: string[] }> {
  const seen = new Set<string>();
  const records: FailedRecord[] = [];
  const extraHandles: string[] = [];
  while (records.length < options.max) {
    const batch = await receiveMessages(sqs, queueUrl, {
      maxMessages: Math.min(10, options.max - records.length),
      waitSeconds: options.waitSeconds ?? 1,
      visibilityTimeoutSeconds: options.visibilitySeconds,
    });
    if (batch.length === 0) break;
    const fresh: FailedRecord[] = [];
    for (const message of batch) {
      if (seen.has(message.messageId)) {
        extraHandles.push(message.receiptHandle);
        continue;
      }
      seen.add(message.messageId);
      fresh.push(parseFailedRecord(message));
    }
    if (fresh.length === 0) break;
    records.push(...fresh);
    if (onBatch) await onBatch(fresh);
  }
  return { records, extraHandles };
}

/** Makes records visible again at once, so a peek does not hide them from the next reader. */
export async function release(
  sqs: SQSClient,
  queueUrl: string,
  receiptHandles: readonly string[],
): Promise<void> {
  if (receiptHandles.length === 0) return;
  await changeVisibility(
    sqs,
    queueUrl,
    receiptHandles.map((receiptHandle) => ({ receiptHandle, seconds: 0 })),
  );
}
