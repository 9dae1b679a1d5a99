import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { createDynamoClient } from "./store.ts";

let server: Server | undefined;
afterEach(() => server?.close());

describe("createDynamoClient", () => {
  it("fails a request that gets no answer within the request timeout instead of hanging", async () => {
    // A DynamoDB endpoint that reads the request and never answers.
    server = createServer((req) => req.resume());
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "l",
      AWS_SECRET_ACCESS_KEY: "l",
    });
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createDynamoClient({ requestTimeoutMs: 200, maxAttempts: 1 });
    const outcome = await Promise.race([
      client.send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "x" } } })).then(
        () => "answered",
        (e: Error) => e.name,
      ),
      // Far above the 200 ms timeout: reaching it means the request hung.
      new Promise((resolve) => setTimeout(() => resolve("still hanging"), 20_000)),
    ]);
    expect(outcome).toBe("TimeoutError");
    client.destroy();
  }, 30_000);
});
