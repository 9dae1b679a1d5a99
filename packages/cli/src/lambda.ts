import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";

export interface InvokeResult {
  statusCode: number | undefined;
  /** The response payload as text ("" for an Event invocation). */
  payload: string;
  /** `Unhandled` or `Handled` when the function failed. */
  functionError: string | undefined;
  /** The last 4 KB of the run's log, decoded (with `tail`). */
  log: string | undefined;
}

/** One Invoke call; a function error is returned, not thrown (the caller decides what it means). */
export async function invokeFunction(
  lambda: LambdaClient,
  functionName: string,
  payload: string,
  options: { event?: boolean; tail?: boolean } = {},
): Promise<InvokeResult> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: options.event ? "Event" : "RequestResponse",
      ...(options.tail && !options.event ? { LogType: "Tail" } : {}),
      Payload: Buffer.from(payload, "utf8"),
    }),
  );
  return {
    statusCode: out.StatusCode,
    payload: out.Payload ? Buffer.from(out.Payload).toString("utf8") : "",
    functionError: out.FunctionError,
    log: out.LogResult ? Buffer.from(out.LogResult, "base64").toString("utf8") : undefined,
  };
}

/** `ErrorType: message` from a function error payload (`{errorType, errorMessage}`), or the raw text. */
export function functionErrorText(payload: string): string {
  try {
    const e = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof e.errorMessage === "string") {
      return typeof e.errorType === "string" ? `${e.errorType}: ${e.errorMessage}` : e.errorMessage;
    }
  } catch {
    // not JSON: show it as it is
  }
  return payload;
}
