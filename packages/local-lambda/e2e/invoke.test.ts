import { request } from "node:http";
import {
  LambdaServiceException,
  ResourceNotFoundException,
  TooManyRequestsException,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fixtureSpec,
  invoke,
  payloadOf,
  startTestService,
  stopTestService,
  type TestService,
} from "./helpers.ts";

let service: TestService;

beforeAll(async () => {
  service = await startTestService([
    fixtureSpec("echo", "behaviours", { environment: { FIXTURE_COLOUR: "teal" } }),
    fixtureSpec("callback", "callback"),
    fixtureSpec("no-handler", "no-handler"),
    fixtureSpec("reserved-zero", "behaviours", { reservedConcurrency: 0 }),
  ]);
});

afterAll(() => stopTestService(service));

/** Sends a raw request, for what the SDK would not send (invalid JSON, unknown routes). */
function raw(path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${service.lambda.url}${path}`, { method: "POST", headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    },
  );
}

describe("RequestResponse invocations through @aws-sdk/client-lambda", () => {
  it("returns the handler's result with status 200, executed version and a request id", async () => {
    const out = await invoke(service.client, "echo", { hello: "world" });
    const body = payloadOf(out) as { event: unknown; context: Record<string, unknown> };
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe("$LATEST");
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.event).toEqual({ hello: "world" });
    expect(body.context.awsRequestId).toBe(out.$metadata.requestId);
  });

  it("gives the handler Lambda's context fields", async () => {
    const body = payloadOf(await invoke(service.client, "echo", {})) as { context: Record<string, unknown> };
    expect(body.context).toMatchObject({
      functionName: "echo",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:echo",
      memoryLimitInMB: "128",
      logGroupName: "/aws/lambda/echo",
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(body.context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it("runs the handler with Lambda's environment variables plus the function's own", async () => {
    const { env } = payloadOf(await invoke(service.client, "echo", {})) as { env: Record<string, string> };
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: "echo",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/echo",
      _HANDLER: "index.handler",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      TZ: ":UTC",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      FIXTURE_COLOUR: "teal",
    });
    expect(env.LAMBDA_TASK_ROOT).toMatch(/fixtures\/behaviours$/);
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/\[\$LATEST\]/);
    expect(env).not.toHaveProperty("VITEST");
  });

  it("accepts the function as an ARN, a partial ARN, name:$LATEST and with Qualifier=$LATEST", async () => {
    for (const name of [
      "arn:aws:lambda:us-east-1:000000000000:function:echo",
      "000000000000:function:echo",
      "echo:$LATEST",
    ]) {
      const out = await invoke(service.client, name, { via: name });
      expect((payloadOf(out) as { event: unknown }).event).toEqual({ via: name });
    }
    const out = await invoke(service.client, "echo", { q: 1 }, { Qualifier: "$LATEST" });
    expect(out.StatusCode).toBe(200);
  });

  it("passes an empty payload to the handler as {}", async () => {
    const body = payloadOf(await invoke(service.client, "echo")) as { event: unknown };
    expect(body.event).toEqual({});
  });

  it("returns null when the handler returns undefined", async () => {
    const out = await invoke(service.client, "echo", { action: "undefined" });
    expect(new TextDecoder().decode(out.Payload)).toBe("null");
  });

  it("reports a thrown error as X-Amz-Function-Error Unhandled with errorType, errorMessage and trace", async () => {
    const out = await invoke(service.client, "echo", {
      action: "throw",
      message: "bad input",
      errorName: "ValidationError",
    });
    const body = payloadOf(out) as { errorType: string; errorMessage: string; trace: string[] };
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe("Unhandled");
    expect(body.errorType).toBe("ValidationError");
    expect(body.errorMessage).toBe("bad input");
    expect(body.trace[0]).toBe("ValidationError: bad input");
    expect(body.trace.some((line) => line.includes("index.mjs"))).toBe(true);
  });

  it("supports callback-style handlers", async () => {
    const ok = await invoke(service.client, "callback", {});
    expect(payloadOf(ok)).toMatchObject({ viaCallback: true, requestId: ok.$metadata.requestId });
    const failed = await invoke(service.client, "callback", { fail: true });
    expect(failed.FunctionError).toBe("Unhandled");
    expect(payloadOf(failed)).toMatchObject({ errorMessage: "callback failure" });
  });

  it("reports a missing handler export as Runtime.HandlerNotFound", async () => {
    const out = await invoke(service.client, "no-handler", {});
    expect(out.FunctionError).toBe("Unhandled");
    expect(payloadOf(out)).toMatchObject({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: "index.handler is undefined or not exported",
    });
  });
});

describe("Tail logs", () => {
  it("returns the invocation's START, console, END and REPORT lines base64-encoded", async () => {
    const out = await invoke(
      service.client,
      "echo",
      { action: "log", lines: ["first", "second"] },
      { LogType: "Tail" },
    );
    const log = Buffer.from(out.LogResult ?? "", "base64").toString("utf8");
    const requestId = out.$metadata.requestId;
    expect(log).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(log).toMatch(new RegExp(`\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${requestId}\\tINFO\\tfirst`));
    expect(log).toContain("raw stdout line");
    expect(log).toContain("raw stderr line");
    expect(log).toContain(`END RequestId: ${requestId}`);
    expect(log).toMatch(
      /REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB/,
    );
    expect(log.indexOf("START")).toBeLessThan(log.indexOf("first"));
    expect(log.indexOf("raw stderr line")).toBeLessThan(log.indexOf("END RequestId"));
  });

  it("keeps only the last 4 KB of a long log", async () => {
    const out = await invoke(service.client, "echo", { action: "big-log" }, { LogType: "Tail" });
    const bytes = Buffer.from(out.LogResult ?? "", "base64");
    expect(bytes.length).toBe(4096);
    expect(bytes.toString("utf8")).toContain("line 199");
    expect(bytes.toString("utf8")).not.toContain("line 0 ");
  });

  it("sends no log result without LogType Tail", async () => {
    const out = await invoke(service.client, "echo", {});
    expect(out.LogResult).toBeUndefined();
  });
});

describe("Event and DryRun invocations", () => {
  it("answers Event with 202 and runs the handler afterwards", async () => {
    const ended = new Promise<{ requestId: string; result: { kind: string } }>((resolve) => {
      service.lambda.events.on("invocationEnd", (data) => {
        if (data.invocationType === "Event") resolve(data);
      });
    });
    const out = await invoke(service.client, "echo", { async: true }, { InvocationType: "Event" });
    expect(out.StatusCode).toBe(202);
    expect(out.Payload?.length ?? 0).toBe(0);
    const end = await ended;
    expect(end.requestId).toBe(out.$metadata.requestId);
    expect(end.result.kind).toBe("success");
  });

  it("answers DryRun with 204 without running the handler", async () => {
    const before = service.lambda.stats().echo?.invocations.started;
    const out = await invoke(service.client, "echo", {}, { InvocationType: "DryRun" });
    expect(out.StatusCode).toBe(204);
    expect(service.lambda.stats().echo?.invocations.started).toBe(before);
  });
});

describe("AWS-shaped errors", () => {
  it("answers an unknown function with 404 ResourceNotFoundException naming its ARN", async () => {
    const error = await invoke(service.client, "nope", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((error as Error).message).toBe(
      "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope",
    );
  });

  it("answers a qualifier other than $LATEST with 404", async () => {
    const error = await invoke(service.client, "echo:live", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it("answers a synchronous payload over 6,291,456 bytes with 413", async () => {
    const big = `"${"a".repeat(6_291_456 - 1)}"`;
    const error = await invoke(service.client, "echo", undefined, { Payload: Buffer.from(big) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LambdaServiceException);
    expect((error as LambdaServiceException).$metadata.httpStatusCode).toBe(413);
    expect((error as LambdaServiceException).name).toBe("RequestEntityTooLargeException");
    expect((error as Error).message).toBe(
      "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    );
  });

  it("limits Event payloads to 1,048,576 bytes of body", async () => {
    const exact = Buffer.from(`"${"b".repeat(1_048_576 - 2)}"`);
    const accepted = await invoke(service.client, "echo", undefined, {
      InvocationType: "Event",
      Payload: exact,
    });
    expect(accepted.StatusCode).toBe(202);
    const over = Buffer.from(`"${"b".repeat(1_048_576 - 1)}"`);
    const error = await invoke(service.client, "echo", undefined, {
      InvocationType: "Event",
      Payload: over,
    }).catch((e: unknown) => e);
    expect((error as LambdaServiceException).$metadata.httpStatusCode).toBe(413);
    expect((error as Error).message).toBe(
      "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
    );
    await service.lambda.idle();
  });

  it("answers a payload that is not JSON with 400 InvalidRequestContentException", async () => {
    const error = await invoke(service.client, "echo", undefined, {
      Payload: Buffer.from("{not json"),
    }).catch((e: unknown) => e);
    expect((error as LambdaServiceException).name).toBe("InvalidRequestContentException");
    expect((error as LambdaServiceException).$metadata.httpStatusCode).toBe(400);
    expect((error as Error).message).toMatch(/^Could not parse request body into json/);
  });

  it("throttles a synchronous call beyond reserved concurrency with 429 and its Reason", async () => {
    const error = await invoke(service.client, "reserved-zero", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect((error as TooManyRequestsException).Reason).toBe(
      "ReservedFunctionConcurrentInvocationLimitExceeded",
    );
    expect((error as TooManyRequestsException).$metadata.httpStatusCode).toBe(429);
  });

  it("puts the error type in x-amzn-ErrorType and {Type, message} in the body", async () => {
    const res = await raw("/2015-03-31/functions/missing/invocations", "{}");
    expect(res.status).toBe(404);
    expect(res.headers["x-amzn-errortype"]).toBe("ResourceNotFoundException");
    expect(res.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(res.body)).toEqual({
      Type: "User",
      message: "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing",
    });
  });

  it("answers routes other than Invoke with UnknownOperationException", async () => {
    const res = await raw("/2015-03-31/functions/echo", "");
    expect(res.status).toBe(404);
    expect(res.headers["x-amzn-errortype"]).toBe("UnknownOperationException");
  });
});
