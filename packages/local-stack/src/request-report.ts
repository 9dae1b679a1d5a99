/** AWS requests by `Service.Operation`, summed over the log lines that carry a `requests` field. */
export function sumRequests(lines: readonly Record<string, unknown>[]): Record<string, number> {
  return sumField(lines, "requests");
}

/** DynamoDB capacity units by item kind and use (`task.write`, ...), summed over the lines' `capacity` fields. */
export function sumCapacity(lines: readonly Record<string, unknown>[]): Record<string, number> {
  return sumField(lines, "capacity");
}

function sumField(lines: readonly Record<string, unknown>[], field: string): Record<string, number> {
  const total: Record<string, number> = {};
  for (const line of lines) {
    const counts = line[field];
    if (!counts || typeof counts !== "object") continue;
    for (const [key, n] of Object.entries(counts as Record<string, unknown>)) {
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

/** SDK operations whose IAM action has another name (batch forms are authorised by the single action). */
const iamActionRenames: Record<string, string> = {
  "SQS.SendMessageBatch": "sqs:SendMessage",
  "SQS.DeleteMessageBatch": "sqs:DeleteMessage",
  "SQS.ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
  "Lambda.Invoke": "lambda:InvokeFunction",
  // S3: HEAD is authorised by GetObject; a multipart upload's parts by PutObject.
  "S3.HeadObject": "s3:GetObject",
  "S3.CreateMultipartUpload": "s3:PutObject",
  "S3.UploadPart": "s3:PutObject",
  "S3.CompleteMultipartUpload": "s3:PutObject",
};

/** The IAM action that authorises an SDK operation counted as `Service.Operation`, e.g. `dynamodb:UpdateItem`. */
export function iamActionOf(operation: string): string {
  const renamed = iamActionRenames[operation];
  if (renamed) return renamed;
  const [service = "", name = ""] = operation.split(".");
  return `${service.toLowerCase()}:${name}`;
}
