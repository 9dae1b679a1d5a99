import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { startLocalLambda } from "./service.ts";

describe("the account APIs a deploy preflight reads", () => {
  it("answers GetAccountSettings with the configured limit less the reserved concurrency, and GetFunctionConcurrency per function", async () => {
    const codeDir = mkdtempSync(join(tmpdir(), "ll-account-"));
    writeFileSync(join(codeDir, "index.mjs"), "export const handler = async () => ({});\n");
    const fn = { codeDir, handler: "index.handler", memoryMb: 128, timeoutSeconds: 3 };
    const lambda = await startLocalLambda({
      port: 0,
      logDir: null,
      output: null,
      accountConcurrencyLimit: 10,
      functions: [
        { ...fn, name: "reserved", reservedConcurrency: 4 },
        { ...fn, name: "unreserved" },
      ],
    });
    const client = new LambdaClient({
      endpoint: lambda.url,
      region: "us-east-1",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    });
    try {
      const settings = await client.send(new GetAccountSettingsCommand({}));
      expect(settings.AccountLimit).toMatchObject({
        ConcurrentExecutions: 10,
        UnreservedConcurrentExecutions: 6,
      });
      expect(
        (await client.send(new GetFunctionConcurrencyCommand({ FunctionName: "reserved" })))
          .ReservedConcurrentExecutions,
      ).toBe(4);
      expect(
        (await client.send(new GetFunctionConcurrencyCommand({ FunctionName: "unreserved" })))
          .ReservedConcurrentExecutions,
      ).toBeUndefined();
      await expect(
        client.send(new GetFunctionConcurrencyCommand({ FunctionName: "missing" })),
      ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    } finally {
      client.destroy();
      await lambda.stop();
    }
  });
});
