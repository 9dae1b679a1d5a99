import { type Finding, finding } from "./findings.ts";
import { calledModule, mentions, type Stack } from "./hcl.ts";

/**
 * The tasks queue's visibility timeout covers the consumer's timeout: the queue module validates
 * visibility_timeout_seconds against consumer_timeout_seconds, the root feeds that from the consumer
 * function's own timeout setting, and the tasks queue uses the validated variable.
 * (Settings files are checked numerically by checkSettingsFiles.)
 */
export function checkVisibilityTimeout(stack: Stack): Finding[] {
  const out: Finding[] = [];
  const call = stack.root.moduleCalls.get("queue");
  const consumer = stack.root.moduleCalls.get("consumer");
  if (!call || !consumer) return [finding("timeouts", "root", 'needs module "queue" and module "consumer"')];
  const where = 'root: module "queue"';
  if (!mentions(call.visibility_timeout_seconds, "var.queue.visibility_timeout_seconds")) {
    out.push(
      finding("timeouts", where, "visibility_timeout_seconds is not var.queue.visibility_timeout_seconds"),
    );
  }
  if (!mentions(call.consumer_timeout_seconds, "var.functions.consumer.timeout_seconds")) {
    out.push(
      finding(
        "timeouts",
        where,
        `consumer_timeout_seconds is ${JSON.stringify(call.consumer_timeout_seconds)}, not var.functions.consumer.timeout_seconds`,
      ),
    );
  }
  if (!mentions(consumer.timeout_seconds, "var.functions.consumer.timeout_seconds")) {
    out.push(
      finding(
        "timeouts",
        'root: module "consumer"',
        "timeout_seconds is not var.functions.consumer.timeout_seconds",
      ),
    );
  }
  const mod = calledModule(stack, stack.root, call);
  if (!mod) return out;
  const variable = mod.variables.get("visibility_timeout_seconds");
  const validations = Array.isArray(variable?.validation)
    ? (variable.validation as Array<Record<string, unknown>>)
    : [];
  const validated = validations.some((v) =>
    /var\.visibility_timeout_seconds\s*>=\s*var\.consumer_timeout_seconds/.test(String(v.condition)),
  );
  if (!validated) {
    out.push(
      finding(
        "timeouts",
        mod.dir,
        "visibility_timeout_seconds is not validated as >= var.consumer_timeout_seconds",
      ),
    );
  }
  const queues = mod.resources.filter(
    (r) =>
      r.type === "aws_sqs_queue" &&
      mentions(r.body.visibility_timeout_seconds, "var.visibility_timeout_seconds"),
  );
  if (queues.length === 0)
    out.push(finding("timeouts", mod.dir, "no queue uses var.visibility_timeout_seconds"));
  return out;
}
