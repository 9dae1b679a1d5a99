import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeTask, makeTask, requestCounts, resetRequestCounts } from "@fanout/core";
import { operatorPrivilege } from "@fanout/infra-check";
import { iamActionOf } from "@fanout/local-stack";
import { startTestStack, type TestStack } from "@fanout/local-stack/testing";
import { sendMessages } from "@fanout/queue";
import type { SettingsInput } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/program.ts";
import { testIo } from "../src/testing.ts";

/**
 * The operator policy (terraform output `operator_policy_json`, held by infra-check to `operatorPrivilege`)
 * against what the CLI really calls: every command an operator runs, in process against the local stack,
 * its AWS requests counted by the SDK clients; each call's IAM action must be granted, and each granted
 * action called (but CloudWatch's, which the local stack has no service for: `metrics` reads its logs).
 */
const settings: SettingsInput = { name_prefix: "cli-op" };
let stack: TestStack;
let settingsFile: string;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  stack = await startTestStack(settings);
  dir = mkdtempSync(join(tmpdir(), "fanout-cli-op-"));
  settingsFile = join(dir, "settings.json");
  writeFileSync(settingsFile, JSON.stringify(settings));
  Object.assign(process.env, stack.env);
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await stack?.stop();
});

async function fanout(args: string[], input = "") {
  const { io, stdout, stderr } = testIo(input);
  const code = await run([...args, "--settings", settingsFile], io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("the operator policy", () => {
  it("grants every AWS action the CLI's commands call, and nothing they do not", async () => {
    resetRequestCounts();
    const job = JSON.stringify({ jobId: "op-1", names: [{ name: "a" }, { name: "b" }] });
    expect((await fanout(["submit", "-", "--watch", "--timeout", "120"], job)).code).toBe(0);
    const source = join(dir, "tasks.jsonl");
    writeFileSync(source, `${JSON.stringify({ n: 1 })}\n${JSON.stringify({ n: 2 })}\n`);
    expect((await fanout(["submit", source, "--job-id", "op-2", "--format", "tasks"])).code).toBe(0);
    // A failed-task record (Lambda's on-failure record of a task), which list shows and gives back.
    const record = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: { requestId: "r-op", condition: "RetriesExhausted", approximateInvokeCount: 3 },
      requestPayload: makeTask("op-f", 0, "f", 0),
      responsePayload: { errorType: "Error", errorMessage: "boom" },
    };
    await sendMessages(stack.sqs, stack.resources.failedQueueUrl, [
      { id: "0", body: JSON.stringify(record) },
    ]);
    for (const args of [
      ["status", "op-1"],
      ["results", "op-1"],
      ["jobs"],
      ["failed", "list"],
      ["doctor"],
      ["invoke", "worker", JSON.stringify(makeTask("op-x", 0, "x", 0))],
    ])
      expect((await fanout(args)).code, args.join(" ")).toBe(0);
    // A failed-task record and a dead letter, so that the redrive does all it can.
    await sendMessages(stack.sqs, stack.resources.deadLetterQueueUrl, [
      { id: "0", body: encodeTask(makeTask("op-dl", 0, "dl", 0)) },
    ]);
    expect((await fanout(["failed", "redrive"])).code).toBe(0);
    const cancel = JSON.stringify({ jobId: "op-3", names: [{ name: "c" }] });
    expect((await fanout(["submit", "-"], cancel)).code).toBe(0);
    expect([0, 1]).toContain((await fanout(["cancel", "op-3"])).code);
    expect((await fanout(["metrics", "--source", "logs", "--log-dir", stack.logDir])).code).toBe(0);

    const called = new Set(Object.keys(requestCounts()).map(iamActionOf));
    const granted = new Set(Object.keys(operatorPrivilege));
    expect([...called].filter((a) => !granted.has(a)).sort()).toEqual([]);
    expect([...granted].filter((a) => !called.has(a)).sort()).toEqual(["cloudwatch:GetMetricData"]);
  }, 300_000);
});
