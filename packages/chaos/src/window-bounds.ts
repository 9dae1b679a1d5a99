/**
 * The most each allowed window may be met in the CI budget (seeds 1-500): twice the count of the baseline
 * run of the same budget, so a change that multiplies a window fails even though each instance is allowed
 * (at least 4, so that one rare occurrence more than the baseline's one or two is not taken for a bug). A run
 * of another length scales the bounds by its number of schedules; a window not listed may not occur.
 * Baseline: `pnpm chaos --seed 1 --schedules 500 --workers 2` of 2026-12-06 (its counts beside each).
 */
export const windowBudget = { schedules: 500 };
export const windowBounds: Record<string, number> = {
  // baseline 788
  "redispatch after a redrive": 1576,
  // baseline 331
  "redispatch of a run whose worker died or stalled (its RUNNING lease ended)": 662,
  // baseline 162
  "counts changed by a redrive after the job's notice": 324,
  // baseline 127
  "handler completed, its process died before SUCCEEDED was recorded": 254,
  // baseline 61
  "invoke's answer lost, the SDK's retry accepted again under the same claim": 122,
  // baseline 30
  "invoke accepted, DISPATCHED not recorded (consumer died, stalled or lost the answer)": 60,
  // baseline 6
  "a failure judged final succeeded on Lambda's retry after the job's notice": 12,
  // baseline 5
  "counts changed between the job's finish and its notice's delivery (a redrive or a retried final failure)": 10,
  // baseline 5
  "handler completed, its outcome write failed through the reserve (DynamoDB unavailable)": 10,
  // baseline 3
  "a failure judged final was being retried by Lambda when the job's notice went out": 6,
  // baseline 1
  "notice published again after SNS's 5-minute deduplication window": 4,
};

/** Windows met more often than their bound allows, for a run of `schedules` schedules. */
export function windowsOverBound(windows: Record<string, number>, schedules: number): string[] {
  if (schedules < 100) return [];
  const scale = schedules / windowBudget.schedules;
  return Object.entries(windows)
    .filter(([name]) => name !== "consumer runs scaled out")
    .filter(([name, n]) => n > Math.ceil((windowBounds[name] ?? 0) * scale))
    .map(
      ([name, n]) =>
        `window "${name}" met ${n} times, over its bound ${Math.ceil((windowBounds[name] ?? 0) * scale)} for ${schedules} schedules`,
    );
}
