import type { ItemChange } from "@fanout/emulators";
import {
  type FilterPattern,
  firstFailed,
  matchesPattern,
  parseFilterPattern,
  type StreamRecord,
  streamRecordOf,
  streamShardOf,
} from "@fanout/local-lambda";
import type { LambdaModel } from "./lambda.ts";
import type { Prng } from "./prng.ts";
import type { World } from "./world.ts";

/** How the table's stream is mapped to the consumer (dedup's `taskStreamMapping`). */
export interface StreamSettings {
  functionName: string;
  filter: string;
  batchSize: number;
  batchingWindowSeconds: number;
}

/** The stream's own misbehaviour, drawn per batch by the fault plan. */
export interface StreamFaults {
  /** Extra wait before the batch is read (iterator age: a busy poller, throttling). */
  delayMs: number;
  /** The poller delivers a batch the function already answered again (its checkpoint was not saved). */
  redeliver: boolean;
}

interface Pending {
  record: StreamRecord;
  arrivedAt: number;
}

interface Lane {
  pending: Pending[];
  timer: boolean;
  running: boolean;
  attempts: number;
}

/**
 * A DynamoDB stream and its Lambda event source mapping, as documented: each key's changes in commit order
 * on one of a few shards; per shard one batch at a time, delivered synchronously to the function after the
 * batching window; `ReportBatchItemFailures` moves the checkpoint to the first failed record and the batch is
 * retried from there, and a function error (a crash, a timeout, an init failure) retries the whole batch,
 * with back-off, until it passes (records expire after 24 h, longer than any schedule). At least once: a batch
 * already answered may be delivered again (`redeliver`). Not modelled: bisection (fanout leaves it off),
 * shard splits (a key never changes shard here).
 */
export class StreamModel {
  private readonly lanes: Lane[];
  private readonly filter: FilterPattern;
  private readonly world: World;
  private readonly lambda: LambdaModel;
  private readonly prng: Prng;
  private readonly settings: StreamSettings;
  private readonly faults: () => StreamFaults;
  /** Batches delivered, retried and redelivered, for the report. */
  readonly counts = { batches: 0, records: 0, retries: 0, redelivered: 0 };

  constructor(
    world: World,
    lambda: LambdaModel,
    prng: Prng,
    settings: StreamSettings,
    faults: () => StreamFaults,
    shards = 2,
  ) {
    this.world = world;
    this.lambda = lambda;
    this.prng = prng;
    this.settings = settings;
    this.faults = faults;
    this.filter = parseFilterPattern(settings.filter);
    this.lanes = Array.from({ length: shards }, () => ({
      pending: [],
      timer: false,
      running: false,
      attempts: 0,
    }));
  }

  /** A committed change of the table (from the emulator, as it commits). */
  push(change: ItemChange): void {
    const arrivedAt = this.world.now();
    const record = streamRecordOf(change, {
      region: "us-east-1",
      streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/sim/stream/2026-01-01T00:00:00.000",
      viewType: "NEW_IMAGE",
      arrivedAt,
      eventID: `ev-${change.sequenceNumber}`,
    });
    if (!matchesPattern(this.filter, record)) return;
    const lane = this.lanes[streamShardOf(change.keys, this.lanes.length)] as Lane;
    lane.pending.push({ record, arrivedAt });
    this.schedule(lane);
  }

  /** Nothing pending or being delivered. */
  idle(): boolean {
    return this.lanes.every((lane) => lane.pending.length === 0 && !lane.running);
  }

  private schedule(lane: Lane, backoffMs = 0): void {
    if (lane.timer || lane.running || lane.pending.length === 0) return;
    lane.timer = true;
    const first = lane.pending[0] as Pending;
    const windowLeft = first.arrivedAt + this.settings.batchingWindowSeconds * 1000 - this.world.now();
    const wait = Math.max(0, backoffMs, lane.attempts > 0 ? 0 : windowLeft) + this.faults().delayMs;
    // Outside the actor whose write made the change: the poller is Lambda's, not that process's.
    this.world.als.exit(() =>
      setTimeout(() => {
        lane.timer = false;
        void this.run(lane);
      }, wait),
    );
  }

  private async run(lane: Lane): Promise<void> {
    lane.running = true;
    let backoffMs = 0;
    try {
      // A batch of any size up to the limit: the poller reads what the shard holds at that moment.
      const size = Math.min(lane.pending.length, this.prng.int(1, this.settings.batchSize));
      const batch = lane.pending.slice(0, size);
      const seqs = batch.map((p) => p.record.dynamodb.SequenceNumber);
      const failedFrom = await this.deliver(batch, seqs);
      this.counts.batches += 1;
      this.counts.records += batch.length;
      if (failedFrom === undefined) {
        if (this.faults().redeliver) {
          this.counts.redelivered += 1;
          await this.deliver(batch, seqs);
        }
        lane.pending.splice(0, batch.length);
        lane.attempts = 0;
        return;
      }
      lane.pending.splice(0, failedFrom);
      lane.attempts += 1;
      this.counts.retries += 1;
      backoffMs = Math.min(60_000, 1_000 * 2 ** (lane.attempts - 1));
    } finally {
      lane.running = false;
      this.schedule(lane, backoffMs);
    }
  }

  /** One synchronous invoke: where the records to retry start, or undefined when the batch passed. */
  private async deliver(batch: Pending[], seqs: string[]): Promise<number | undefined> {
    const out = await this.lambda.invokeSync(this.settings.functionName, {
      Records: batch.map((p) => p.record),
    });
    if (!out.ok) return 0;
    return firstFailed(seqs, JSON.stringify(out.value ?? null));
  }
}
