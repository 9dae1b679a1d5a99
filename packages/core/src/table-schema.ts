/**
 * The one table's key schema and global secondary indexes (docs/contracts.md, "Table"): the emulators and
 * the fault explorer create it from {@link tableDefinition}; terraform/modules/table declares the same
 * (infra-check compares the two).
 */

/** Names of the table's global secondary indexes, by what they are for. */
export const jobIndexes = {
  /** `jobList` (S, `"job"` on every job record) + `createdAt` (N): `fanout jobs`, newest first, paged. */
  byCreated: "jobs-by-created",
  /**
   * `notifyDue` (S) + `finishedAt` (N), sparse: only a finished job whose `job.finished` notice is not yet
   * published carries `notifyDue`, so the consumer's sweep reads just those.
   */
  toNotify: "jobs-to-notify",
} as const;

type AttributeType = "S" | "N" | "B";
type Key = { name: string; type: AttributeType };

/** One global secondary index: hash and range key, every attribute projected. */
export interface TableIndex {
  name: string;
  hashKey: Key;
  rangeKey: Key;
  projection: "ALL";
}

/** The partition key of every item: `JOB#<jobId>`, `TASK#<taskId>`, ... */
export const partitionKey: Key = { name: "pk", type: "S" };

/**
 * ALL, not KEYS_ONLY: a job record is small (the growing per-job sets live in its separate progress item),
 * so a listing or a sweep reads each job in one Query instead of a Query then a BatchGetItem.
 */
export const tableIndexes: readonly TableIndex[] = [
  {
    name: jobIndexes.byCreated,
    hashKey: { name: "jobList", type: "S" },
    rangeKey: { name: "createdAt", type: "N" },
    projection: "ALL",
  },
  {
    name: jobIndexes.toNotify,
    hashKey: { name: "notifyDue", type: "S" },
    rangeKey: { name: "finishedAt", type: "N" },
    projection: "ALL",
  },
];

/**
 * A DynamoDB `CreateTable` input for the table (on-demand, no TTL: that is a separate `UpdateTimeToLive`),
 * typed structurally so that core needs no AWS SDK: pass it to `new CreateTableCommand(...)`.
 */
export function tableDefinition(tableName: string) {
  const keys = [partitionKey, ...tableIndexes.flatMap((i) => [i.hashKey, i.rangeKey])];
  const attributes = [...new Map(keys.map((k) => [k.name, k.type])).entries()];
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: attributes.map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [{ AttributeName: partitionKey.name, KeyType: "HASH" as const }],
    GlobalSecondaryIndexes: tableIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.hashKey.name, KeyType: "HASH" as const },
        { AttributeName: index.rangeKey.name, KeyType: "RANGE" as const },
      ],
      Projection: { ProjectionType: index.projection },
    })),
  };
}
