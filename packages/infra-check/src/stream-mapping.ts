import { taskStreamMapping } from "@fanout/dedup";
import { type Finding, finding } from "./findings.ts";
import { expressionText, mentions, nested, type Stack } from "./hcl.ts";

/**
 * The consumer's task-change mapping (`aws_lambda_event_source_mapping`) is the one dedup's
 * `taskStreamMapping` describes, which the local stack and the fault explorer run (ADR 0015, decision 2):
 * the table's stream to the consumer, the same batch size, window, filter pattern and unlimited retries, never
 * bisected, answered with ReportBatchItemFailures, and its on-failure destination the stream-failures queue.
 * The filter is written with `jsonencode` in HCL; it is read back as JSON (keys `k = v` to `"k": v`, HCL's
 * commas between entries) and compared with the TypeScript pattern as a value.
 */
export function checkStreamMapping(stack: Stack): Finding[] {
  const mappings = stack.root.resources.filter((r) => r.type === "aws_lambda_event_source_mapping");
  const mapping = mappings.find((r) => mentions(r.body.event_source_arn, "module.table.stream_arn"));
  if (!mapping)
    return [finding("stream mapping", "root", "no event source mapping of module.table.stream_arn")];
  const where = `root: aws_lambda_event_source_mapping.${mapping.name}`;
  const out: Finding[] = [];
  const want: Record<string, unknown> = {
    function_name: "module.consumer.function_arn",
    batch_size: taskStreamMapping.batchSize,
    maximum_batching_window_in_seconds: taskStreamMapping.batchingWindowSeconds,
    maximum_retry_attempts: taskStreamMapping.maximumRetryAttempts,
    maximum_record_age_in_seconds: -1,
    bisect_batch_on_function_error: false,
    parallelization_factor: 1,
    function_response_types: ["ReportBatchItemFailures"],
  };
  for (const [name, value] of Object.entries(want)) {
    const got = name === "function_name" ? expressionText(mapping.body[name]) : mapping.body[name];
    if (JSON.stringify(got) !== JSON.stringify(value))
      out.push(
        finding(
          "stream mapping",
          where,
          `${name} = ${JSON.stringify(got)}, dedup's taskStreamMapping says ${JSON.stringify(value)}`,
        ),
      );
  }
  const patterns = nested(mapping.body, "filter_criteria")
    .flatMap((c) => nested(c, "filter"))
    .map((f) => patternOf(f.pattern));
  const expected = JSON.stringify(JSON.parse(taskStreamMapping.filter));
  if (patterns.length !== 1 || patterns[0] !== expected)
    out.push(
      finding(
        "stream mapping",
        where,
        `filter patterns ${JSON.stringify(patterns)}, dedup's taskStreamMapping says [${JSON.stringify(expected)}]`,
      ),
    );
  const destination = nested(mapping.body, "destination_config").flatMap((d) => nested(d, "on_failure"))[0];
  if (!mentions(destination?.destination_arn, "module.queue.stream_failures_queue_arn"))
    out.push(
      finding("stream mapping", where, "on_failure must send to module.queue.stream_failures_queue_arn"),
    );
  return out;
}

/** A `jsonencode({...})` pattern as compact JSON text, or the text as written when it is not one. */
function patternOf(value: unknown): string {
  const text = expressionText(value);
  const inner = /^jsonencode\(([\s\S]*)\)$/.exec(text)?.[1];
  if (inner === undefined) return text;
  const json = inner.replace(/([A-Za-z_][\w-]*)\s*=(?!=)/g, '"$1":').replace(/,(\s*[}\]])/g, "$1");
  try {
    return JSON.stringify(JSON.parse(json));
  } catch {
    return text;
  }
}
