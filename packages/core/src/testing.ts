import { randomUUID } from "node:crypto";
import type { LambdaContext } from "./context.ts";

/**
 * A Lambda context for tests that call a handler in-process: a fresh request id and an honest
 * `getRemainingTimeInMillis()` counting down from `budgetMs`.
 */
export function testContext(
  options: { budgetMs?: number; functionName?: string; awsRequestId?: string } = {},
): LambdaContext {
  const deadline = Date.now() + (options.budgetMs ?? 60_000);
  return {
    awsRequestId: options.awsRequestId ?? randomUUID(),
    functionName: options.functionName ?? "fanout-test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

// The hostile names the demo also mixes in, for tests of every boundary that carries a name.
export { hostileNames } from "./samples.ts";
