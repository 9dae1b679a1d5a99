import type { MiddlewareStack } from "@smithy/types";

/** Set on the final error when any attempt of the request got no HTTP answer (see {@link trackAmbiguity}). */
export const maybeAcceptedMark = "$fanoutMaybeAccepted";

/** True when this one attempt's error came with no HTTP answer and something may have been sent. */
export function attemptWasAmbiguous(error: unknown): boolean {
  const e = error as { $metadata?: { httpStatusCode?: number }; $response?: unknown; code?: string } | null;
  if (e?.$metadata?.httpStatusCode !== undefined || e?.$response !== undefined) return false;
  // ECONNREFUSED: nothing was sent, so nothing can have been accepted.
  return String(e?.code) !== "ECONNREFUSED";
}

/**
 * The SDK retries a request that got no answer, and the error it finally throws is the last attempt's.
 * If an earlier attempt was sent and its answer lost (a reset, a timeout) Lambda may have queued that
 * event, even though the last attempt was answered with a 503. This records, across the attempts of one
 * request, whether any was ambiguous, and marks the final error with {@link maybeAcceptedMark}.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's stacks differ per client; only `add` is used.
export function trackAmbiguity<T extends { middlewareStack: MiddlewareStack<any, any> }>(client: T): T {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (attemptWasAmbiguous(error)) (context as Record<string, unknown>)[maybeAcceptedMark] = true;
        throw error;
      }
    },
    // Below the retry middleware: runs once per attempt.
    { step: "finalizeRequest", priority: "low", name: "fanoutAmbiguityPerAttempt", override: true },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((context as Record<string, unknown>)[maybeAcceptedMark] && error && typeof error === "object")
          (error as Record<string, unknown>)[maybeAcceptedMark] = true;
        throw error;
      }
    },
    { step: "initialize", priority: "high", name: "fanoutAmbiguityFinal", override: true },
  );
  return client;
}
