import { randomUUID } from "node:crypto";
import { type FilterPattern, matchesPattern, parseFilterPattern } from "./event-filter.ts";
import type { FunctionRuntime } from "./function.ts";
import type { InvocationResult } from "./types.ts";

/** A committed change of a table item, as the table's stream holds it (DynamoDB JSON images). */
export interface StreamChange {
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  keys: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  /** Increasing in commit order (a numeric string). */
  sequenceNumber: string;
}

/** A DynamoDB stream event source mapping, as `aws_lambda_event_source_mapping` configures one. */
export interface StreamMappingSpec {
  functionName: string;
  /** The stream's ARN: in each record's `eventSourceARN` and in failure records. */
  streamArn: string;
  /** What each record carries; default NEW_IMAGE. */
  viewType?: "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES" | "KEYS_ONLY";
  /** Records per invoke, 1–10,000; default 100. */
  batchSize?: number;
  /** How long a batch may wait to fill (MaximumBatchingWindowInSeconds, in ms here); default 0. */
  batchingWindowMs?: number;
  /** Retries of a failing batch before it goes to the on-failure destination; -1 = until it expires. Default -1. */
  maximumRetryAttempts?: number;
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`: the function answers the records that failed. */
  reportBatchItemFailures?: boolean;
  /** FilterCriteria patterns (JSON text each): a record is delivered when one matches; none given: all. */
  filters?: string[];
  /** SQS queue URL of the on-failure destination (DestinationConfig.OnFailure). */
  onFailureQueueUrl?: string;
  /** Stream shards: a key's records always go to the same one, in order; default 4. */
  shards?: number;
}

/** What a mapping needs from the service. */
export interface StreamMappingDeps {
  fn: FunctionRuntime;
  region: string;
  functionArn: string;
  /** Waits (retry back-off) are multiplied by this, as the async queue's are. */
  speed: number;
  sendFailure: (queueUrl: string, record: object) => Promise<void>;
  emit: (event: string, data: unknown) => void;
  onSettled: () => void;
}

export interface StreamMapping {
  /** Hands the mapping a change of the table (the table's stream): filtered, then batched per shard. */
  push(change: StreamChange): void;
  /** True while nothing is pending, waiting or running. */
  readonly settled: boolean;
  stats(): StreamMappingStats;
  stop(): void;
}

export interface StreamMappingStats {
  records: number;
  filteredOut: number;
  batches: number;
  retries: number;
  throttled: number;
  /** Records sent to the on-failure destination (their batch info, as Lambda sends it). */
  sentToFailureDestination: number;
}

interface PendingRecord {
  record: StreamRecord;
  arrivedAt: number;
}

/** One record of a DynamoDB stream event, as Lambda hands it to the function. */
export interface StreamRecord {
  eventID: string;
  eventName: StreamChange["eventName"];
  eventVersion: "1.1";
  eventSource: "aws:dynamodb";
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Record<string, unknown>;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: NonNullable<StreamMappingSpec["viewType"]>;
  };
  eventSourceARN: string;
}

const THROTTLE_FIRST_MS = 1_000;
const RETRY_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;

/**
 * Lambda's poller for a DynamoDB stream, over the changes the local DynamoDB reports: records are filtered,
 * spread over shards by key (a key's records stay in commit order), batched up to `batchSize` or the
 * batching window, and one batch per shard runs at a time through the function's concurrency, synchronously.
 * A function error retries the batch; with `reportBatchItemFailures` the answer's `batchItemFailures` moves
 * the checkpoint to the lowest failed record and the batch is retried from there (an unknown identifier fails
 * the whole batch, as on AWS). After `maximumRetryAttempts` the rest of the batch is sent to the on-failure
 * destination as batch info (no records, as on AWS) and the shard goes on. A throttle is retried without
 * counting. Not modelled: bisection (fanout leaves it off, ADR 0015), record expiry after 24 h, parallelization
 * factor above 1.
 */
export function startStreamMapping(spec: StreamMappingSpec, deps: StreamMappingDeps): StreamMapping {
  const batchSize = spec.batchSize ?? 100;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000))
    throw new Error(`batchSize must be 1-10000, got ${batchSize}`);
  const shardCount = spec.shards ?? 4;
  const filters: FilterPattern[] = (spec.filters ?? []).map(parseFilterPattern);
  const viewType = spec.viewType ?? "NEW_IMAGE";
  const stats: StreamMappingStats = {
    records: 0,
    filteredOut: 0,
    batches: 0,
    retries: 0,
    throttled: 0,
    sentToFailureDestination: 0,
  };
  let stopped = false;

  const recordOf = (change: StreamChange, arrivedAt: number) =>
    streamRecordOf(change, { region: deps.region, streamArn: spec.streamArn, viewType, arrivedAt });

  class Shard {
    readonly id: string;
    readonly pending: PendingRecord[] = [];
    timer: NodeJS.Timeout | undefined;
    running = false;
    attempts = 0;
    throttles = 0;
    /** The timer is a retry's back-off, not a batching window that a full batch may cut short. */
    backingOff = false;

    constructor(id: string) {
      this.id = id;
    }

    get settled(): boolean {
      return this.pending.length === 0 && !this.running;
    }

    /** Runs the next batch now or when its window ends (`delayMs`: a retry's back-off, if longer). */
    schedule(delayMs = 0): void {
      if (stopped || this.running || this.timer || this.pending.length === 0) return;
      const first = this.pending[0] as PendingRecord;
      // A retried batch was formed already: it does not wait for its window again.
      const full = this.pending.length >= batchSize || this.attempts > 0;
      const windowLeft = full ? 0 : first.arrivedAt + (spec.batchingWindowMs ?? 0) - Date.now();
      // Even with no wait, the batch starts on a timer: the changes of one tick (a batch write) go together.
      this.backingOff = delayMs > 0;
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          void this.run();
        },
        Math.max(0, delayMs, windowLeft),
      );
      this.timer.unref();
    }

    async run(): Promise<void> {
      this.running = true;
      const batch = this.pending.slice(0, batchSize);
      let retryIn = 0;
      try {
        const outcome = await this.invoke(batch);
        if (outcome === "throttled") {
          stats.throttled += 1;
          retryIn = Math.min(BACKOFF_MAX_MS, THROTTLE_FIRST_MS * 2 ** this.throttles++) * deps.speed;
          return;
        }
        this.throttles = 0;
        stats.batches += 1;
        if (outcome.failedFrom === undefined) {
          this.pending.splice(0, batch.length);
          this.attempts = 0;
          return;
        }
        // The checkpoint moves to the first failed record; the batch is retried from there.
        this.pending.splice(0, outcome.failedFrom);
        this.attempts += 1;
        const max = spec.maximumRetryAttempts ?? -1;
        if (max >= 0 && this.attempts > max) {
          await this.giveUp(batch.slice(outcome.failedFrom), outcome.result);
          this.attempts = 0;
          return;
        }
        stats.retries += 1;
        retryIn = Math.min(BACKOFF_MAX_MS, RETRY_FIRST_MS * 2 ** (this.attempts - 1)) * deps.speed;
      } finally {
        this.running = false;
        if (!stopped) this.schedule(retryIn);
        deps.onSettled();
      }
    }

    /** One synchronous invoke of `batch`: where its failed records start (undefined: none), or a throttle. */
    async invoke(
      batch: PendingRecord[],
    ): Promise<"throttled" | { failedFrom: number | undefined; result: InvocationResult }> {
      if (deps.fn.admitSync() !== undefined) return "throttled";
      let result: InvocationResult;
      try {
        const event = JSON.stringify({ Records: batch.map((p) => p.record) });
        result = (await deps.fn.execute(randomUUID(), event, "RequestResponse")).result;
      } finally {
        deps.fn.slots.release();
      }
      deps.emit("streamBatch", {
        function: spec.functionName,
        shardId: this.id,
        size: batch.length,
        ok: result.kind === "success",
      });
      if (result.kind !== "success") return { failedFrom: 0, result };
      if (!spec.reportBatchItemFailures) return { failedFrom: undefined, result };
      const seqs = batch.map((p) => p.record.dynamodb.SequenceNumber);
      return { failedFrom: firstFailed(seqs, result.payload), result };
    }

    async giveUp(rest: PendingRecord[], last: InvocationResult): Promise<void> {
      this.pending.splice(0, rest.length);
      stats.sentToFailureDestination += rest.length;
      const first = rest[0] as PendingRecord;
      const lastRecord = rest.at(-1) as PendingRecord;
      const info = {
        requestContext: {
          requestId: randomUUID(),
          functionArn: deps.functionArn,
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: (spec.maximumRetryAttempts ?? 0) + 1,
        },
        responseContext: {
          statusCode: 200,
          executedVersion: "$LATEST",
          ...(last.kind === "error" ? { functionError: "Unhandled" } : {}),
        },
        version: "1.0",
        timestamp: new Date().toISOString(),
        DDBStreamBatchInfo: {
          shardId: this.id,
          startSequenceNumber: first.record.dynamodb.SequenceNumber,
          endSequenceNumber: lastRecord.record.dynamodb.SequenceNumber,
          approximateArrivalOfFirstRecord: new Date(first.arrivedAt).toISOString(),
          approximateArrivalOfLastRecord: new Date(lastRecord.arrivedAt).toISOString(),
          batchSize: rest.length,
          streamArn: spec.streamArn,
        },
      };
      deps.emit("streamBatchDiscarded", { function: spec.functionName, shardId: this.id, size: rest.length });
      if (spec.onFailureQueueUrl) await deps.sendFailure(spec.onFailureQueueUrl, info).catch(() => undefined);
    }
  }

  const shards = Array.from(
    { length: shardCount },
    (_, i) => new Shard(`shardId-${String(i).padStart(8, "0")}`),
  );
  return {
    push(change) {
      if (stopped) return;
      const arrivedAt = Date.now();
      const record = recordOf(change, arrivedAt);
      stats.records += 1;
      if (filters.length > 0 && !filters.some((f) => matchesPattern(f, record))) {
        stats.filteredOut += 1;
        return;
      }
      const shard = shards[streamShardOf(change.keys, shardCount)] as Shard;
      shard.pending.push({ record, arrivedAt });
      if (shard.pending.length === batchSize && shard.timer && !shard.backingOff) {
        clearTimeout(shard.timer);
        shard.timer = undefined;
      }
      shard.schedule();
    },
    get settled() {
      return shards.every((s) => s.settled);
    },
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      for (const shard of shards) {
        clearTimeout(shard.timer);
        shard.pending.length = 0;
      }
      deps.onSettled();
    },
  };
}

/** A change as one record of a DynamoDB stream event, as Lambda hands it to the function. */
export function streamRecordOf(
  change: StreamChange,
  stream: {
    region: string;
    streamArn: string;
    viewType: NonNullable<StreamMappingSpec["viewType"]>;
    arrivedAt: number;
    eventID?: string;
  },
): StreamRecord {
  const { viewType } = stream;
  const keep = {
    NewImage: viewType === "NEW_IMAGE" || viewType === "NEW_AND_OLD_IMAGES",
    OldImage: viewType === "OLD_IMAGE" || viewType === "NEW_AND_OLD_IMAGES",
  };
  const dynamodb: StreamRecord["dynamodb"] = {
    ApproximateCreationDateTime: Math.floor(stream.arrivedAt / 1000),
    Keys: change.keys,
    ...(keep.NewImage && change.newImage ? { NewImage: change.newImage } : {}),
    ...(keep.OldImage && change.oldImage ? { OldImage: change.oldImage } : {}),
    SequenceNumber: change.sequenceNumber,
    SizeBytes: 0,
    StreamViewType: viewType,
  };
  dynamodb.SizeBytes = JSON.stringify([dynamodb.Keys, dynamodb.NewImage, dynamodb.OldImage]).length;
  return {
    eventID: stream.eventID ?? randomUUID().replaceAll("-", ""),
    eventName: change.eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: stream.region,
    dynamodb,
    eventSourceARN: stream.streamArn,
  };
}

/**
 * The index (in a batch of these sequence numbers) of the first record a `ReportBatchItemFailures` answer
 * names as failed, or undefined when it names none. An answer that is not the documented shape, or names a
 * record not in the batch, fails the whole batch (0), as on AWS.
 */
export function firstFailed(sequenceNumbers: readonly string[], payload: string): number | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(payload);
  } catch {
    return 0;
  }
  if (answer === null || answer === undefined) return undefined;
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || (Array.isArray(failures) && failures.length === 0)) return undefined;
  if (!Array.isArray(failures)) return 0;
  let first: number | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const at = typeof id === "string" && id !== "" ? sequenceNumbers.indexOf(id) : -1;
    if (at < 0) return 0;
    first = first === undefined ? at : Math.min(first, at);
  }
  return first;
}

/** A key's shard: the same key always lands on the same shard (its records stay ordered). */
export function streamShardOf(keys: Record<string, unknown>, shards: number): number {
  const text = JSON.stringify(Object.entries(keys).sort(([a], [b]) => a.localeCompare(b)));
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) % shards;
}
