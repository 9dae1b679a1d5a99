import type { Settings } from "@fanout/tooling";
import { measureBundles } from "./bundles.ts";
import { measureCeiling } from "./ceiling.ts";
import { NotMeasuredError } from "./errors.ts";
import type { ScaleOptions } from "./options.ts";
import { measureScaleEndToEnd } from "./scale-e2e.ts";
import { measureScaleOut } from "./scale-out.ts";
import { modelInput, modelScenarios, type ScaleResults } from "./scale-report.ts";
import { measureSourceJob } from "./source-job.ts";

/** The job size the source section and the AWS model are about. */
export const millionTasks = 1_000_000;

/**
 * `pnpm bench --scale`: each section in turn, each on its own stack(s). A section that throws is recorded
 * as failed (or not measured, for a {@link NotMeasuredError}) and the others still run.
 */
export async function runScale(
  options: ScaleOptions,
  settings: Settings,
  log: (line: string) => void,
): Promise<ScaleResults> {
  const results: ScaleResults = { unmeasured: {} };
  const on = (s: ScaleOptions["sections"][number]) => options.sections.includes(s);
  const attempt = async (section: keyof ScaleResults["unmeasured"], run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if (error instanceof NotMeasuredError) results.unmeasured[section] = { notMeasured: error.reason };
      else {
        results.unmeasured[section] = { failed: (error as Error).message };
        log(`  ${section} failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  };
  if (on("bundles"))
    await attempt("bundles", async () => {
      log(`bundles: both variants and the empty handler, ${options.coldRuns} cold starts each`);
      results.bundles = await measureBundles({ coldRuns: options.coldRuns, log });
    });
  if (on("scale-out"))
    await attempt("scale-out", async () => {
      log(
        `scale-out (${options.mode}): ${options.consumers.join(", ")} consumers at ${options.latencyMs} ms, ${options.tasksPerConsumer} tasks per consumer`,
      );
      results.scaleOut = await measureScaleOut({
        consumers: options.consumers,
        tasksPerConsumer: options.tasksPerConsumer,
        latencyMs: options.latencyMs,
        mode: options.mode,
        settings,
        log,
      });
    });
  if (on("ceiling"))
    await attempt("ceiling", async () => {
      log(
        `ceiling: our consumer vs a minimal one, ${options.ceilingTasks} tasks at 0 ms, 2 alternating rounds`,
      );
      results.ceiling = await measureCeiling({
        tasks: options.ceilingTasks,
        rounds: 2,
        latencyMs: 0,
        settings,
        log,
      });
    });
  if (on("e2e"))
    await attempt("e2e", async () => {
      log(`e2e: a ${options.e2eTasks}-task job through main at ${options.e2eLatencyMs} ms`);
      results.e2e = await measureScaleEndToEnd({
        tasks: options.e2eTasks,
        latencyMs: options.e2eLatencyMs,
        settings,
        // Generous (20 tasks/s would finish); a stalled run fails after 3 minutes without progress anyway.
        timeoutSeconds: Math.max(600, Math.ceil(options.e2eTasks / 20)),
        log,
      });
    });
  if (on("source"))
    await attempt("source", async () => {
      log(`source: a ${options.sourceTasks}-record JSON Lines job from the local S3 bucket, main only`);
      results.source = await measureSourceJob({ tasks: options.sourceTasks, settings, log });
    });
  if (on("model"))
    await attempt("model", async () => {
      const consumers = [
        ...new Set([1, settings.consumer.max_parallel, Math.max(...options.consumers)]),
      ].sort((a, b) => a - b);
      const input = modelInput(results, settings, {
        tasks: millionTasks,
        awsLatencyMs: options.awsLatencyMs,
        consumers,
      });
      if (!input) throw new NotMeasuredError("needs the scale-out (1 consumer) and e2e sections");
      results.model = { input, scenarios: modelScenarios(input) };
    });
  return results;
}
