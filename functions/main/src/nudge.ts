import { invokeAsync } from "@fanout/invoker";
import type { SubmitDeps } from "./deps.ts";

/** Starts a consumer run now instead of at the next tick. Best effort: the schedule is the safety net. */
export async function nudgeConsumer(deps: Pick<SubmitDeps, "nudge" | "logger">): Promise<void> {
  if (!deps.nudge) return;
  await invokeAsync(deps.nudge.lambda, deps.nudge.consumerFunctionName, "{}").catch((error: unknown) =>
    deps.logger.warn("consumer nudge failed; the schedule will pick the tasks up", { error: String(error) }),
  );
}
