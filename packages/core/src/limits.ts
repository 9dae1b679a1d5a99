/**
 * Service limits the code checks before it calls AWS, so that an over-size request fails with a clear
 * error here instead of a generic one from the service. Values from the AWS documentation (2026-11).
 */
export const limits = {
  /** SQS: one message body, and the sum of a SendMessageBatch's bodies (raised from 256 KiB in 2025). */
  sqsMessageBytes: 1_048_576,
  sqsBatchBytes: 1_048_576,
  /** SQS: entries per SendMessageBatch, ReceiveMessage and DeleteMessageBatch. */
  sqsBatchEntries: 10,
  /** SQS: longest long poll. */
  sqsMaxWaitSeconds: 20,
  /** Lambda: payload of an asynchronous (Event) invocation. */
  lambdaAsyncPayloadBytes: 1_048_576,
  /** Lambda: request and response payload of a synchronous invocation. */
  lambdaSyncPayloadBytes: 6_291_456,
  /** DynamoDB: keys per BatchGetItem. */
  dynamoBatchGetKeys: 100,
} as const;

/**
 * fanout's own input limits. A name may be as large as leaves room for the task envelope inside the
 * async invoke limit, and a job is bounded by what `main` can enqueue well inside its timeout.
 */
export const jobLimits = {
  /** UTF-8 bytes of one `name`. */
  maxNameBytes: 262_144,
  /**
   * Bytes of one name as JSON-escaped in the task message. Escaping can grow a name up to 6x (a control
   * character becomes `\u0001`), so this is checked too. The limit leaves 128 KiB of the 1 MiB SQS and
   * async-invoke limits for the on-failure record Lambda wraps around a failed event (context and error
   * response), which AWS would otherwise send without the payload, leaving nothing to redrive (G1).
   */
  maxEncodedNameBytes: 1_048_576 - 131_072,
  /** Tasks in one job (a job is one synchronous invoke of `main`, at most 6 MB). */
  maxTasksPerJob: 10_000,
  /** A job's `maxConcurrency`: its slots are read in at most 10 BatchGetItem calls. */
  maxConcurrency: 1_000,
  /**
   * Tasks in one job read from S3 (`{"source": ...}`): counted in one pass, enqueued in steps that hand
   * over to each other, tracked in counter shards read in groups (ADR 0013).
   */
  maxSourceTasks: 10_000_000,
  /** Bytes of one line (or array element) of a job source: a task's encoded limit plus room for escaping. */
  maxSourceRecordBytes: 2_097_152,
  /** Bad lines a refused source job reports (it counts all of them). */
  maxReportedIssues: 100,
  /** UTF-8 bytes of the whole job document. */
  maxJobBytes: 6_000_000,
  /** A caller-given jobId: short, printable, and safe inside a DynamoDB key and a taskId. */
  jobIdPattern: /^[A-Za-z0-9_.:-]{1,64}$/,
} as const;

/** Byte length of a string as UTF-8, which is what every AWS size limit counts. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
