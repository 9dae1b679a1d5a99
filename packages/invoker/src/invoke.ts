import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { limits, PayloadTooLargeError, utf8Bytes } from "@fanout/core";
import { InvokeError, isAmbiguous, isRetryable } from "./errors.ts";

/**
 * Invokes a function asynchronously (`InvocationType: Event`): resolves once Lambda has accepted and
 * durably queued the event (HTTP 202), with the event's request id. The payload is checked against the async limit before sending.
 * Throttling and 5xx are first retried by the SDK's own retry strategy; what is left is thrown as an
 * {@link InvokeError} whose `retryable` tells the caller whether to try again later.
 *
 * @example
 * await invokeAsync(lambda, "fanout-worker", JSON.stringify(task));
 */
export async function invokeAsync(
  client: LambdaClient,
  functionName: string,
  payload: string,
): Promise<{ requestId: string | undefined }> {
  const bytes = utf8Bytes(payload);
  if (bytes > limits.lambdaAsyncPayloadBytes) {
    throw new InvokeError(
      new PayloadTooLargeError("async invoke payload", bytes, limits.lambdaAsyncPayloadBytes).message,
      {
        retryable: false,
        code: "PayloadTooLarge",
      },
    );
  }
  let status: number | undefined;
  let requestId: string | undefined;
  try {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: Buffer.from(payload),
      }),
    );
    status = out.StatusCode;
    // The accepted event's request id: its context.awsRequestId, and the one in its on-failure record.
    requestId = out.$metadata.requestId;
  } catch (error) {
    const e = error as Error;
    throw new InvokeError(
      `invoke ${functionName} failed: ${e.name}: ${e.message}`,
      {
        retryable: isRetryable(error),
        code: e.name,
        maybeAccepted: isAmbiguous(error),
      },
      { cause: error },
    );
  }
  if (status !== 202) {
    throw new InvokeError(`invoke ${functionName} answered ${status}, expected 202`, {
      retryable: status === undefined || status >= 500,
      code: `Status${status}`,
    });
  }
  return { requestId };
}
