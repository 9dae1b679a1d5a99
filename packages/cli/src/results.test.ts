import { BatchGetItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { parseSettings, resourceNames } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import type { CliContext } from "./context.ts";
import { results, resultsPageSize } from "./results.ts";
import { testIo } from "./testing.ts";

type Item = Record<string, { S?: string; N?: string; BOOL?: boolean }>;

/**
 * A context whose DynamoDB holds one job record and a task record per index that `taskItem` gives,
 * answering GetItem and BatchGetItem only, and recording the task keys each BatchGetItem asked for.
 */
function fakeContext(total: number, taskItem: (index: number) => Item | undefined) {
  const batches: number[][] = [];
  const epoch = 1_700_000_000_000;
  const send = async (command: unknown) => {
    if (command instanceof GetItemCommand) {
      const pk = command.input.Key?.pk?.S;
      if (pk !== "JOB#big") return {};
      return {
        Item: {
          pk: { S: pk },
          jobId: { S: "big" },
          total: { N: String(total) },
          epoch: { N: String(epoch) },
        },
      };
    }
    if (command instanceof BatchGetItemCommand) {
      const keys = Object.values(command.input.RequestItems ?? {})[0]?.Keys ?? [];
      const indexes = keys.map((k) => Number(String(k.pk?.S).split("#").at(-1)));
      batches.push(indexes);
      const items = indexes.flatMap((i) => {
        const item = taskItem(i);
        return item ? [{ ...item, idx: { N: String(i) }, epoch: { N: String(epoch) } }] : [];
      });
      // Answer out of order, as DynamoDB may: the output must still be in index order.
      return { Responses: { table: items.reverse() } };
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  };
  const settings = parseSettings({ name_prefix: "unit" });
  const ctx: CliContext = {
    settings,
    names: resourceNames(settings),
    sqs: {} as CliContext["sqs"],
    lambda: {} as CliContext["lambda"],
    store: { client: { send } as never, tableName: "table", ttlSeconds: 60, now: Date.now },
    queueUrl: () => Promise.reject(new Error("no queues here")),
    close: () => {},
  };
  return { ctx, batches };
}

/** Every third task failed for good, every other one succeeded with a result, the last 10 have no record. */
const mixed =
  (total: number) =>
  (i: number): Item | undefined => {
    if (i >= total - 10) return undefined;
    if (i % 3 === 0)
      return {
        status: { S: "FAILED" },
        lastError: { S: JSON.stringify({ type: "Error", message: `boom ${i}` }) },
        finalFailure: { BOOL: true },
      };
    return { status: { S: "SUCCEEDED" }, result: { S: JSON.stringify({ received: { n: i } }) } };
  };

async function resultsOf(ctx: CliContext, flags: { failed?: boolean; from?: number; limit?: number }) {
  const { io, stdout, stderr } = testIo();
  const code = await results(ctx, io, { jobId: "big", failed: false, from: 0, ...flags });
  const lines = stdout
    .text()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { index: number; status: string });
  return { code, lines, stderr: stderr.text() };
}

describe("fanout results", () => {
  it("prints one JSON line per task in index order, with the result or the error, reading 1000 tasks a page", async () => {
    const total = 2_345;
    const { ctx, batches } = fakeContext(total, mixed(total));
    const out = await resultsOf(ctx, {});
    expect(out.code).toBe(0);
    expect(out.lines.map((l) => l.index)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(out.lines[0]).toEqual({
      index: 0,
      status: "failed",
      error: { type: "Error", message: "boom 0" },
      final: true,
    });
    expect(out.lines[1]).toEqual({ index: 1, status: "succeeded", result: { received: { n: 1 } } });
    expect(out.lines[total - 1]).toEqual({ index: total - 1, status: "pending" });
    // BatchGetItem takes 100 keys; pages of 1000 tasks, each task asked for once.
    expect(Math.max(...batches.map((b) => b.length))).toBe(100);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(resultsPageSize).toBe(1_000);
  });

  it("--failed prints only failed tasks; --from and --limit choose the window", async () => {
    const total = 2_345;
    const { ctx } = fakeContext(total, mixed(total));
    const failed = await resultsOf(ctx, { failed: true });
    expect(failed.lines.every((l) => l.status === "failed")).toBe(true);
    expect(failed.lines.map((l) => l.index)).toEqual(
      Array.from({ length: Math.ceil((total - 10) / 3) }, (_, i) => i * 3),
    );
    const window = await resultsOf(ctx, { from: 999, limit: 3 });
    expect(window.lines.map((l) => l.index)).toEqual([999, 1000, 1001]);
    const failedWindow = await resultsOf(ctx, { failed: true, from: 1000, limit: 2 });
    expect(failedWindow.lines.map((l) => l.index)).toEqual([1002, 1005]);
  });

  it("reads only the pages it prints: --limit stops reading early", async () => {
    const { ctx, batches } = fakeContext(100_000, () => ({ status: { S: "SUCCEEDED" } }));
    const out = await resultsOf(ctx, { limit: 5 });
    expect(out.lines).toHaveLength(5);
    // The first page, and at most the next one read ahead: never the whole job.
    expect(batches.flat().length).toBeLessThanOrEqual(2 * resultsPageSize);
  });

  it("refuses an unknown job and a --from past the last task, with exit 1 and one clear line", async () => {
    const { ctx } = fakeContext(10, () => undefined);
    const { io } = testIo();
    await expect(results(ctx, io, { jobId: "nope", failed: false, from: 0 })).rejects.toThrow(
      "job nope not found in table unit-dedup",
    );
    await expect(results(ctx, io, { jobId: "big", failed: false, from: 10 })).rejects.toThrow(
      "--from 10 is past the last task of job big (it has 10 tasks, indexes 0 to 9)",
    );
  });
});
