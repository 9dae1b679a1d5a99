import { type Finding, finding } from "./findings.ts";
import { calledModule, mentions, type Stack } from "./hcl.ts";

const units = new Set(["minute", "minutes", "hour", "hours", "day", "days"]);

/**
 * Whether AWS accepts a schedule expression: `rate(<n> <unit>)` with n ≥ 1 and a singular unit exactly
 * when n is 1, or `cron(<6 fields>)` where one of day-of-month and day-of-week is `?`.
 * Returns the reason it is refused, or undefined.
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] as string;
    if (!units.has(unit)) return `unknown unit "${unit}"`;
    if (n < 1) return "the rate must be at least 1";
    if ((n === 1) !== !unit.endsWith("s"))
      return `say "${n} ${n === 1 ? unit.replace(/s$/, "") : `${unit}s`}"`;
    return undefined;
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] as string).trim().split(/\s+/);
    if (fields.length !== 6)
      return `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
    if (fields.some((f) => !/^[\d*?,/\-LW#A-Za-z]+$/.test(f))) return "cron field with invalid characters";
    if ((fields[2] === "?") === (fields[4] === "?"))
      return "exactly one of day-of-month and day-of-week must be ?";
    return undefined;
  }
  return "must be rate(...) or cron(...)";
}

/** Pulls the pattern out of `can(regex("<pattern>", var.x))` and turns it into a JavaScript RegExp. */
export function validationPattern(condition: unknown): RegExp | undefined {
  const m = /regex\(\s*"((?:[^"\\]|\\.)*)"/.exec(String(condition));
  if (!m) return undefined;
  return new RegExp((JSON.parse(`"${m[1]}"`) as string).replace(/\\d/g, "[0-9]"));
}

const acceptedSamples = [
  "rate(1 minute)",
  "rate(5 minutes)",
  "rate(2 hours)",
  "rate(10 minutes)",
  "rate(1 day)",
  "cron(0/5 * * * ? *)",
];
const refusedSamples = [
  "every 5 minutes",
  "rate(minutes)",
  "rate(5 weeks)",
  "cron()",
  "rate(5 minutes) ",
  "rate(1 minutes)",
  "rate(5 minute)",
  "rate(0 minutes)",
  "cron(0 12 * * ?)",
];

/**
 * The root variable validates the schedule expression (accepting valid samples, refusing invalid ones),
 * and the schedule module's schedule uses it to invoke the consumer.
 */
export function checkSchedule(stack: Stack): Finding[] {
  const out: Finding[] = [];
  const variable = stack.root.variables.get("schedule_expression");
  const validations = Array.isArray(variable?.validation)
    ? (variable.validation as Array<Record<string, unknown>>)
    : [];
  const patterns = validations.flatMap((v) => validationPattern(v.condition) ?? []);
  if (patterns.length === 0) {
    out.push(finding("schedule", "root", "variable schedule_expression has no regex validation"));
  }
  for (const pattern of patterns) {
    for (const s of acceptedSamples) {
      if (!pattern.test(s))
        out.push(finding("schedule", "root", `schedule_expression validation refuses valid "${s}"`));
    }
    for (const s of refusedSamples) {
      if (pattern.test(s))
        out.push(finding("schedule", "root", `schedule_expression validation accepts invalid "${s}"`));
    }
  }
  const call = stack.root.moduleCalls.get("schedule");
  if (!call) return [...out, finding("schedule", "root", 'no module "schedule"')];
  if (!mentions(call.schedule_expression, "var.schedule_expression")) {
    out.push(
      finding("schedule", 'root: module "schedule"', "schedule_expression is not var.schedule_expression"),
    );
  }
  if (!mentions(call.target_function_arn, "module.consumer.function_arn")) {
    out.push(finding("schedule", 'root: module "schedule"', "the schedule does not target the consumer"));
  }
  const mod = calledModule(stack, stack.root, call);
  const schedule = mod?.resources.find(
    (r) => r.type === "aws_scheduler_schedule" || r.type === "aws_cloudwatch_event_rule",
  );
  if (!mod || !schedule || !mentions(schedule.body.schedule_expression, "var.schedule_expression")) {
    out.push(
      finding("schedule", mod?.dir ?? "schedule", "no schedule resource uses var.schedule_expression"),
    );
  }
  return out;
}
