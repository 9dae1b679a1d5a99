import type { TaskHandler } from "./wrapper.ts";

/**
 * The reference task, as in the original sample: log the name of a seed-format task. Every task returns
 * `{ received: <its payload> }` as its result. Replace this file with real work.
 * `failRate` is a demo knob (WORKER_FAIL_RATE, read through `referenceTaskConfigSchema`): the fraction of runs
 * that fail on purpose.
 */
export function referenceTaskHandler(options: { failRate: number }): TaskHandler {
  const { failRate } = options;
  return async (task, { logger }) => {
    if (task.seed) logger.info(`worker received name = ${(task.payload as { name: string }).name}`);
    if (failRate > 0 && Math.random() < failRate) {
      throw new Error(`simulated failure (WORKER_FAIL_RATE=${failRate})`);
    }
    return { received: task.payload };
  };
}
