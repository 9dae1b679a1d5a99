import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLambdaClient } from "./client.ts";
import { InvokeError } from "./errors.ts";
import { invokeAsync } from "./invoke.ts";

let server: Server | undefined;
afterEach(() => server?.close());

/** A Lambda endpoint that answers each attempt with the next of `answers` ("reset" drops the connection). */
async function lambdaEndpoint(
  answers: ("reset" | number)[],
): Promise<{ url: string; attempts: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const answer = answers[n++] ?? 202;
      if (answer === "reset") {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer, {
        "x-amzn-RequestId": `req-${n}`,
        ...(answer >= 400 ? { "x-amzn-ErrorType": "ServiceException" } : {}),
      });
      res.end(answer >= 400 ? JSON.stringify({ message: "service fault" }) : "");
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, attempts: () => n };
}

function client(url: string) {
  Object.assign(process.env, { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "l", AWS_SECRET_ACCESS_KEY: "l" });
  process.env.AWS_ENDPOINT_URL_LAMBDA = url;
  return createLambdaClient({ maxAttempts: 2 });
}

describe("invokeAsync", () => {
  it("returns the accepted event's request id", async () => {
    const endpoint = await lambdaEndpoint([202]);
    expect(await invokeAsync(client(endpoint.url), "worker", "{}")).toEqual({ requestId: "req-1" });
  });

  it("reports an event as maybe accepted when an earlier attempt lost its answer, though the last got a 503", async () => {
    const endpoint = await lambdaEndpoint(["reset", 503]);
    const error = await invokeAsync(client(endpoint.url), "worker", "{}").catch((e: unknown) => e);
    expect(endpoint.attempts()).toBe(2);
    expect(error).toBeInstanceOf(InvokeError);
    expect((error as InvokeError).maybeAccepted).toBe(true);
  });

  it("reports an event as not accepted when every attempt was answered with a 5xx", async () => {
    const endpoint = await lambdaEndpoint([503, 503]);
    const error = (await invokeAsync(client(endpoint.url), "worker", "{}").catch(
      (e: unknown) => e,
    )) as InvokeError;
    expect(endpoint.attempts()).toBe(2);
    expect(error.maybeAccepted).toBe(false);
    expect(error.retryable).toBe(true);
  });
});
