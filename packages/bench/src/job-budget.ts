import { cancelJob, readJobStatus } from "@fanout/job-state";
import { submitToMain, sumCapacity, sumRequests } from "@fanout/local-stack";
import { startTestStack, type TestStack } from "@fanout/local-stack/testing";
import { type LargestItem, largestByKind } from "./table-items.ts";

/** One job shape whose DynamoDB requests per task the budget step measures. */
interface BudgetCase {
  name: string;
  job: (jobId: string, tasks: number) => Record<string, unknown>;
  /** Extra worker environment (slow or failing tasks). */
  worker?: Record<string, string>;
  /** Cancel the job once this many tasks succeeded. */
  cancelAfter?: number;
}

export interface BudgetRow {
  case: string;
  tasks: number;
  /** Requests per task by operation (DynamoDB.UpdateItem, ...), from the functions' own request counts. */
  perTask: Record<string, number>;
  writesPerTask: number;
  readsPerTask: number;
  /**
   * DynamoDB capacity units per task, as the functions' clients measured them (`ReturnConsumedCapacity`):
   * write units with the index writes AWS would add (modelled on the emulator) and refused conditional
   * writes (one unit each), read units; and per item kind and use (`task.write`, `job.read`, ...).
   */
  writeUnitsPerTask: number;
  readUnitsPerTask: number;
  unitsPerTask: Record<string, number>;
  /** The job's largest item of each kind after it finished (bytes by DynamoDB's rules, and its key). */
  largestItems: Record<string, LargestItem>;
  final: { succeeded: number; failed: number; cancelled: number };
}

const writes = ["DynamoDB.PutItem", "DynamoDB.UpdateItem", "DynamoDB.DeleteItem"];
const reads = ["DynamoDB.GetItem", "DynamoDB.BatchGetItem", "DynamoDB.Query"];

const cases: BudgetCase[] = [
  { name: "seed format, no options", job: (jobId, n) => ({ jobId, names: names(n) }) },
  {
    name: "tasks format, results",
    job: (jobId, n) => ({
      jobId,
      tasks: Array.from({ length: n }, (_, i) => ({ i, url: `https://x/${i}` })),
    }),
  },
  {
    name: "maxConcurrency 5 (50 ms tasks)",
    job: (jobId, n) => ({ jobId, tasks: Array.from({ length: n }, (_, i) => i), maxConcurrency: 5 }),
    worker: { WORKER_DELAY_MS: "50" },
  },
  {
    name: "toleratedFailurePercentage 50, 10% of runs fail",
    job: (jobId, n) => ({
      jobId,
      tasks: Array.from({ length: n }, (_, i) => i),
      toleratedFailurePercentage: 50,
    }),
    worker: { WORKER_FAIL_RATE: "0.1" },
  },
  {
    name: "cancelled after 20% succeeded (20 ms tasks)",
    job: (jobId, n) => ({ jobId, tasks: Array.from({ length: n }, (_, i) => i) }),
    worker: { WORKER_DELAY_MS: "20" },
    cancelAfter: 0.2,
  },
];

function names(n: number) {
  return Array.from({ length: n }, (_, i) => ({ name: `Name${i}` }));
}

const round = (n: number) => Math.round(n * 1000) / 1000;

const per = (counts: Record<string, number>, keys: string[], n: number) =>
  keys.reduce((sum, k) => sum + (counts[k] ?? 0), 0) / n;

/**
 * DynamoDB requests per task for each job feature, on the local stack (the built zips): every request each
 * function's SDK client made while the job ran (its own counters, logged per invocation), divided by the
 * job's tasks. Requests, not capacity units: a write of an item over 1 KB (a large result) costs more units.
 */
export async function measureJobBudget(options: { tasks: number; log: (line: string) => void }) {
  // The schedule on (every 15 s: speed 4), as on AWS, so that a long capped job is not left to one run.
  const stack: TestStack = await startTestStack({}, { maxConcurrency: 32, schedule: true, speed: 4 });
  const rows: BudgetRow[] = [];
  try {
    for (const c of cases) {
      stack.setWorkerEnvironment(c.worker ?? {});
      const fns = [stack.names.mainFunction, stack.names.consumerFunction, stack.names.workerFunction];
      const before = fns.map((fn) => stack.logs(fn).length);
      const jobId = `budget-${rows.length}-${Date.now()}`;
      await submitToMain(stack, c.job(jobId, options.tasks));
      if (c.cancelAfter !== undefined)
        await cancelWhen(stack, jobId, Math.ceil(options.tasks * c.cancelAfter));
      const status = await stack.waitForJob(jobId, 600_000);
      await stack.lambda.idle();
      // The log lines (with each invocation's request counts) land a moment after the invocations end.
      let lines = fns.flatMap((fn, i) => stack.logs(fn).slice(before[i]));
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const again = fns.flatMap((fn, i) => stack.logs(fn).slice(before[i]));
        if (again.length === lines.length) break;
        lines = again;
      }
      const counts = sumRequests(lines);
      const perTask = Object.fromEntries(
        Object.entries(counts)
          .filter(([k]) => k.startsWith("DynamoDB."))
          .map(([k, v]) => [k, Math.round((v / options.tasks) * 1000) / 1000]),
      );
      const capacity = sumCapacity(lines);
      const units = (match: (key: string) => boolean) =>
        round(
          Object.entries(capacity)
            .filter(([k]) => match(k))
            .reduce((n, [, v]) => n + v, 0) / options.tasks,
        );
      const row: BudgetRow = {
        case: c.name,
        tasks: options.tasks,
        perTask,
        writesPerTask: Math.round(per(counts, writes, options.tasks) * 1000) / 1000,
        readsPerTask: Math.round(per(counts, reads, options.tasks) * 1000) / 1000,
        writeUnitsPerTask: units((k) => !k.endsWith(".read")),
        readUnitsPerTask: units((k) => k.endsWith(".read")),
        unitsPerTask: Object.fromEntries(
          Object.entries(capacity)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, round(v / options.tasks)]),
        ),
        final: { succeeded: status.succeeded, failed: status.failed, cancelled: status.cancelled },
        largestItems: await largestByKind(stack.store.client, stack.store.tableName, (pk) =>
          pk.includes(jobId),
        ),
      };
      options.log(
        `budget: ${c.name}: ${row.writesPerTask} writes, ${row.readsPerTask} reads per task ${JSON.stringify(perTask)}; ${row.writeUnitsPerTask} write units, ${row.readUnitsPerTask} read units per task ${JSON.stringify(row.unitsPerTask)}; largest items ${Object.entries(
          row.largestItems,
        )
          .map(([kind, item]) => `${kind} ${item.bytes} B`)
          .join(", ")}`,
      );
      rows.push(row);
    }
  } finally {
    stack.setWorkerEnvironment({});
    await stack.stop();
  }
  return rows;
}

async function cancelWhen(stack: TestStack, jobId: string, succeeded: number): Promise<void> {
  for (;;) {
    const status = await readJobStatus(stack.store, jobId);
    if (status.succeeded >= succeeded || status.done) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await cancelJob(stack.store, jobId);
}
