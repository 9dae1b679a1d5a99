import type { TaskHandler } from "./wrapper.ts";

/** Demo knob: the fraction of runs that fail on purpose (WORKER_FAIL_RATE, 0 by default). */
const failRate = Number(process.env.WORKER_FAIL_RATE ?? 0);

/** The reference task, as in the original sample: log the name. Replace this file with real work. */
export const referenceTaskHandler: TaskHandler = async (task, { logger }) => {
  logger.info(`worker received name = ${task.name}`);
  if (failRate > 0 && Math.random() < failRate) {
    throw new Error(`simulated failure (WORKER_FAIL_RATE=${failRate})`);
  }
};
