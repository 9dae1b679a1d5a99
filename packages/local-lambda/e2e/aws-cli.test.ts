import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureSpec, startTestService, stopTestService, type TestService } from "./helpers.ts";

/** The Debian `awscli` package (v2). An older v1 may come first on PATH, so the path is explicit. */
const AWS = "/usr/bin/aws";
const hasCli = existsSync(AWS);
const inCi = Boolean(process.env.CI);
if (!hasCli) {
  console.warn(
    `NOTICE: ${AWS} (AWS CLI v2) is not installed, so the AWS CLI compatibility tests ${inCi ? "FAIL (CI)" : "are skipped"}. Install it with: apt-get install -y awscli`,
  );
}

const run = promisify(execFile);
let service: TestService;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "local-lambda-cli-"));
  service = await startTestService([fixtureSpec("cli-echo", "behaviours")]);
});

afterAll(async () => {
  await stopTestService(service);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `aws lambda invoke` against the service (asynchronously: the service answers from this process). */
async function awsInvoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      AWS,
      [
        "lambda",
        "invoke",
        "--endpoint-url",
        service.lambda.url,
        "--cli-binary-format",
        "raw-in-base64-out",
        ...args,
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_DEFAULT_REGION: "us-east-1",
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_PAGER: "",
        },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

function requireCli(): void {
  if (!hasCli) throw new Error(`${AWS} is missing: install the AWS CLI v2 with apt-get install -y awscli`);
}

describe("AWS CLI v2 against the service", () => {
  it.skipIf(!hasCli && !inCi)("invokes synchronously with a payload and returns the Tail log", async () => {
    requireCli();
    const outFile = join(dir, "sync.json");
    const result = await awsInvoke([
      "--function-name",
      "cli-echo",
      "--payload",
      '{"from":"cli"}',
      "--log-type",
      "Tail",
      outFile,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const meta = JSON.parse(result.stdout) as {
      StatusCode: number;
      ExecutedVersion: string;
      LogResult: string;
    };
    expect(meta.StatusCode).toBe(200);
    expect(meta.ExecutedVersion).toBe("$LATEST");
    expect(Buffer.from(meta.LogResult, "base64").toString()).toMatch(/^START RequestId: /);
    expect(JSON.parse(readFileSync(outFile, "utf8"))).toMatchObject({ event: { from: "cli" } });
  });

  it.skipIf(!hasCli && !inCi)("invokes with --invocation-type Event and gets 202", async () => {
    requireCli();
    const before = service.lambda.stats()["cli-echo"]?.async.succeeded ?? 0;
    const result = await awsInvoke([
      "--function-name",
      "cli-echo",
      "--invocation-type",
      "Event",
      "--payload",
      '{"async":true}',
      join(dir, "event.json"),
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ StatusCode: 202 });
    await service.lambda.idle();
    expect(service.lambda.stats()["cli-echo"]?.async.succeeded).toBe(before + 1);
  });

  it.skipIf(!hasCli && !inCi)("shows a function error as FunctionError Unhandled", async () => {
    requireCli();
    const outFile = join(dir, "error.json");
    const result = await awsInvoke([
      "--function-name",
      "cli-echo",
      "--payload",
      '{"action":"throw"}',
      outFile,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ StatusCode: 200, FunctionError: "Unhandled" });
    expect(JSON.parse(readFileSync(outFile, "utf8"))).toMatchObject({
      errorType: "Error",
      errorMessage: "boom",
    });
  });

  it.skipIf(!hasCli && !inCi)("reports an unknown function as ResourceNotFoundException", async () => {
    requireCli();
    const result = await awsInvoke(["--function-name", "missing", join(dir, "missing.json")]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("ResourceNotFoundException");
    expect(result.stderr).toContain(
      "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing",
    );
  });
});
