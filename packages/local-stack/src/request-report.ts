/** AWS requests by `Service.Operation`, summed over the log lines that carry a `requests` field. */
export function sumRequests(lines: readonly Record<string, unknown>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const line of lines) {
    const requests = line.requests;
    if (!requests || typeof requests !== "object") continue;
    for (const [key, n] of Object.entries(requests as Record<string, unknown>)) {
      if (typeof n === "number") total[key] = (total[key] ?? 0) + n;
    }
  }
  return total;
}

/** Per-task figures by service and operation, e.g. `{ "SQS.SendMessageBatch": 0.1, ... }`. */
export function perTask(counts: Record<string, number>, tasks: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => [key, Math.round((n / tasks) * 1000) / 1000]),
  );
}

/** Requests per task summed by service (`SQS`, `DynamoDB`, `Lambda`). */
export function byService(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(counts)) {
    const service = key.split(".")[0] ?? key;
    out[service] = (out[service] ?? 0) + n;
  }
  return out;
}
