import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { localCredentials } from "@fanout/emulators";

/** What a job is submitted to: a running local stack, in this process or another. */
export interface MainTarget {
  endpoints: { lambda: string };
  settings: { aws_region: string };
  names: { mainFunction: string };
}

/**
 * Submits a job as a user does: a synchronous invoke of `main` on the local Lambda service. Resolves to
 * main's answer; throws with main's error body when main refused the job. One attempt: a job is
 * resubmitted on purpose, never by a client retry.
 */
export async function submitToMain(target: MainTarget, job: unknown): Promise<unknown> {
  const lambda = new LambdaClient({
    endpoint: target.endpoints.lambda,
    region: target.settings.aws_region,
    credentials: localCredentials,
    maxAttempts: 1,
  });
  try {
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: target.names.mainFunction,
        Payload: Buffer.from(JSON.stringify(job)),
      }),
    );
    const text = Buffer.from(result.Payload ?? new Uint8Array()).toString("utf8");
    if (result.FunctionError) throw new Error(`main refused the job: ${text}`);
    return text.length > 0 ? JSON.parse(text) : undefined;
  } finally {
    lambda.destroy();
  }
}
