// The counter layout and item keys, for tests that check what a write touched (not for shipped code).
export { countOutcome } from "./counters.ts";
export { readShardCounts } from "./jobs.ts";
export {
  type Counted,
  counterKey,
  groupCount,
  groupKey,
  indexWritesOf,
  jobKey,
  layoutFor,
  progressKey,
  shardCount,
  shardOf,
  shardSize,
  slotKey,
  tasksPerShard,
} from "./keys.ts";
export { runSlotKey } from "./run-slots.ts";
