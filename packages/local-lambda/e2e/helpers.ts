import { fileURLToPath } from "node:url";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import type { LocalLambda } from "../src/service.ts";
import { startLocalLambda } from "../src/service.ts";
import type { FunctionSpec, LocalLambdaOptions } from "../src/types.ts";

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** A function spec for one of the fixture bundles, with short limits suited to tests. */
export function fixtureSpec(
  name: string,
  bundle: string,
  overrides: Partial<FunctionSpec> = {},
): FunctionSpec {
  return {
    name,
    codeDir: fixture(bundle),
    handler: "index.handler",
    memoryMb: 128,
    timeoutSeconds: 3,
    ...overrides,
  };
}

export interface TestService {
  lambda: LocalLambda;
  client: LambdaClient;
  /** Everything the service printed. */
  output: string[];
}

/** Starts the service on a free port with output collected, and a real Lambda client pointed at it. */
export async function startTestService(
  functions: FunctionSpec[],
  options: Partial<LocalLambdaOptions> = {},
): Promise<TestService> {
  const output: string[] = [];
  const lambda = await startLocalLambda({
    port: 0,
    functions,
    logDir: null,
    output: { write: (chunk: string) => output.push(chunk) },
    ...options,
  });
  const client = new LambdaClient({
    endpoint: lambda.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return { lambda, client, output };
}

export async function stopTestService(service: TestService | undefined): Promise<void> {
  service?.client.destroy();
  await service?.lambda.stop();
}

export function invoke(
  client: LambdaClient,
  functionName: string,
  payload?: unknown,
  extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {},
): Promise<InvokeCommandOutput> {
  return client.send(
    new InvokeCommand({
      FunctionName: functionName,
      ...(payload === undefined ? {} : { Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
      ...extra,
    }),
  );
}

export function payloadOf(output: InvokeCommandOutput): unknown {
  return JSON.parse(new TextDecoder().decode(output.Payload));
}

/** Whether a process with this id still exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`. Fails naming `what` and the last
 * value once `timeoutMs` passes. For conditions a fixed sleep would only bet on (a call in flight, ...).
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
