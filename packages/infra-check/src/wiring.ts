import { type Finding, finding } from "./findings.ts";
import { type Block, calledModule, isUnset, mentions, nested, type Stack, type TfModule } from "./hcl.ts";

function queueModule(stack: Stack): TfModule | undefined {
  const call = stack.root.moduleCalls.get("queue");
  return call ? calledModule(stack, stack.root, call) : undefined;
}

/** The aws_sqs_queue resource an output of the queue module points at. */
function queueBehind(mod: TfModule, output: string): string | undefined {
  const value = JSON.stringify(mod.outputs.get(output)?.value ?? "");
  return /aws_sqs_queue\.(\w+)\./.exec(value)?.[1];
}

/**
 * Redrive and on-failure wiring: the tasks queue redrives to a separate dead-letter queue after
 * var.max_receive_count receives, fed from queue.max_receive_count; the worker's asynchronous invocations
 * end in the failed-task queue, which is neither the tasks queue nor the dead-letter queue.
 */
export function checkWiring(stack: Stack): Finding[] {
  const out: Finding[] = [];
  const queue = queueModule(stack);
  if (!queue) return [finding("wiring", "root", 'no module "queue"')];
  const tasksName = queueBehind(queue, "tasks_queue_arn");
  const failedName = queueBehind(queue, "failed_tasks_queue_arn");
  const tasks = queue.resources.find((r) => r.type === "aws_sqs_queue" && r.name === tasksName);
  if (!tasks) {
    out.push(finding("wiring", queue.dir, "output tasks_queue_arn does not point at an aws_sqs_queue"));
  } else {
    const redrive = String(tasks.body.redrive_policy ?? "");
    const target = /deadLetterTargetArn\s*=\s*aws_sqs_queue\.(\w+)\.arn/.exec(redrive)?.[1];
    if (isUnset(tasks.body.redrive_policy) || !target) {
      out.push(
        finding(
          "wiring",
          queue.dir,
          `aws_sqs_queue.${tasks.name} has no redrive policy to a dead-letter queue`,
        ),
      );
    } else {
      if (target === tasks.name) out.push(finding("wiring", queue.dir, "the tasks queue redrives to itself"));
      if (target === failedName)
        out.push(finding("wiring", queue.dir, "the tasks queue redrives to the failed-task queue"));
      if (!/maxReceiveCount\s*=\s*var\.max_receive_count\b/.test(redrive)) {
        out.push(finding("wiring", queue.dir, "redrive maxReceiveCount is not var.max_receive_count"));
      }
    }
  }
  const queueCall = stack.root.moduleCalls.get("queue");
  if (!mentions(queueCall?.max_receive_count, "var.queue.max_receive_count")) {
    out.push(
      finding("wiring", 'root: module "queue"', "max_receive_count is not var.queue.max_receive_count"),
    );
  }
  if (!failedName || failedName === tasksName) {
    out.push(finding("wiring", queue.dir, "output failed_tasks_queue_arn must point at its own queue"));
  }

  const worker = stack.root.moduleCalls.get("worker");
  const destination = (worker?.async_invoke as Record<string, unknown> | undefined)
    ?.on_failure_destination_arn;
  if (!mentions(destination, "module.queue.failed_tasks_queue_arn")) {
    out.push(
      finding(
        "wiring",
        'root: module "worker"',
        `on-failure destination is ${JSON.stringify(destination)}, not module.queue.failed_tasks_queue_arn`,
      ),
    );
  }
  const fnModule = worker && calledModule(stack, stack.root, worker);
  const invokeConfig = fnModule?.resources.find((r) => r.type === "aws_lambda_function_event_invoke_config");
  if (!fnModule || !invokeConfig) {
    out.push(finding("wiring", "modules/function", "no aws_lambda_function_event_invoke_config"));
  } else {
    const body = invokeConfig.body;
    const variable = "var.async_invoke.on_failure_destination_arn";
    const direct = nested(body, "destination_config").flatMap((d) => nested(d, "on_failure"));
    const dynamicConfig = nested((body.dynamic as Block | undefined) ?? {}, "destination_config");
    const viaDynamic = dynamicConfig.flatMap((d) =>
      mentions(d.for_each, variable) ? nested(d, "content").flatMap((c) => nested(c, "on_failure")) : [],
    );
    const wired =
      direct.some((f) => mentions(f.destination, variable)) ||
      viaDynamic.some(
        (f) => mentions(f.destination, "destination_config.value") || mentions(f.destination, variable),
      );
    if (!wired)
      out.push(
        finding(
          "wiring",
          fnModule.dir,
          "the invoke config does not send failures to async_invoke.on_failure_destination_arn",
        ),
      );
    for (const [attr, variable] of [
      ["maximum_retry_attempts", "var.async_invoke.maximum_retry_attempts"],
      ["maximum_event_age_in_seconds", "var.async_invoke.maximum_event_age_seconds"],
    ] as const) {
      if (!mentions(body[attr], variable))
        out.push(finding("wiring", fnModule.dir, `invoke config ${attr} is not ${variable}`));
    }
  }
  const retries = (worker?.async_invoke as Record<string, unknown> | undefined)?.maximum_retry_attempts;
  if (!mentions(retries, "var.worker_async.maximum_retry_attempts")) {
    out.push(
      finding(
        "wiring",
        'root: module "worker"',
        "maximum_retry_attempts is not var.worker_async.maximum_retry_attempts",
      ),
    );
  }
  return out;
}
