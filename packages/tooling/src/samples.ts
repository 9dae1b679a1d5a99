import { hostileNames } from "@fanout/core/testing";

/** `n` names for demos and load tests, with the hostile names mixed in at the start. */
export function sampleNames(n: number): string[] {
  const hostile = hostileNames();
  return Array.from({ length: n }, (_, i) => hostile[i] ?? `Name${i + 1}`);
}
