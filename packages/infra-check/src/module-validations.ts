import { type Finding, finding } from "./findings.ts";
import { type Block, calledModule, expressionText, nested, type Stack, type TfModule } from "./hcl.ts";
import { parseType } from "./hcl-types.ts";

/** Module meta-arguments, which are not input variables. */
const metaArguments = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);

/** A reference chain such as `var.queue.visibility_timeout_seconds`, at its longest. */
const reference = /(?<![\w.])var(?:\.[A-Za-z_][\w-]*)+/g;

const normalise = (condition: string) => condition.replace(/\s+/g, " ").trim();

/**
 * The validation conditions of a variable, as text with whitespace collapsed. A condition over a list,
 * `alltrue([for f in [var.a.x, var.a.y] : f.n >= 1])`, becomes one condition per element
 * (`var.a.x.n >= 1`, `var.a.y.n >= 1`), which is how a module sees the element it is given.
 */
export function validationConditions(variable: Block): string[] {
  return nested(variable, "validation").flatMap((v) => {
    const text = normalise(expressionText(v.condition));
    const loop = /^alltrue\(\[\s*for (\w+) in \[([^\]]*)\] : ([\s\S]*)\]\)$/.exec(text);
    if (!loop) return [text];
    const [, item = "", list = "", body = ""] = loop;
    const itemReference = new RegExp(`(?<![\\w.])${item}\\.`, "g");
    return list.split(",").map((element) => normalise(body.replace(itemReference, `${element.trim()}.`)));
  });
}

/**
 * What a module call passes straight through: `schedule_expression = var.schedule_expression` maps
 * `var.schedule_expression` to the module's `var.schedule_expression`; inside an object argument
 * (`async_invoke = { maximum_retry_attempts = var.worker_async.maximum_retry_attempts }`) to
 * `var.async_invoke.maximum_retry_attempts`. Other expressions (function calls, arithmetic, maps) are not
 * a pass-through and map nothing.
 */
export function passedThrough(call: Block, target: TfModule): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: unknown, into: string, objectTyped: boolean) => {
    const direct = typeof value === "string" ? /^\$\{\s*(var(?:\.[A-Za-z_][\w-]*)+)\s*\}$/.exec(value) : null;
    if (direct?.[1]) out.set(direct[1], into);
    else if (objectTyped && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${into}.${key}`, false);
    }
  };
  for (const [key, value] of Object.entries(call)) {
    const type = target.variables.get(key)?.type;
    if (metaArguments.has(key) || type === undefined) continue;
    walk(value, `var.${key}`, typeof type === "string" && parseType(type).kind === "object");
  }
  return out;
}

/** The condition in the module's terms, or undefined when it reads anything the call does not pass through. */
function translate(condition: string, passed: Map<string, string>): string | undefined {
  const references = condition.match(reference) ?? [];
  if (references.length === 0) return undefined;
  const target = (ref: string) => {
    for (const [from, to] of passed) {
      if (ref === from || ref.startsWith(`${from}.`)) return `${to}${ref.slice(from.length)}`;
    }
    return undefined;
  };
  if (references.some((ref) => target(ref) === undefined)) return undefined;
  return condition.replace(reference, (ref) => target(ref) ?? ref);
}

/**
 * A module is never looser than the caller variable it is fed from: every validation condition of a
 * caller's variable that reads only values a module call passes straight through appears, with the
 * variable names substituted, among the validation conditions of the module's variables.
 * `var.schedule_expression` passed as `schedule_expression` needs the same regex in modules/schedule;
 * `var.functions.main.memory_mb` passed as `memory_mb` needs the element's condition of the root's
 * `alltrue([for f in ...])`; an invariant over two passed values needs its counterpart in the module.
 */
export function checkModuleValidations(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const caller of stack.modules.values()) {
    for (const [name, call] of caller.moduleCalls) {
      const target = calledModule(stack, caller, call);
      if (!target) continue; // module-calls reports it
      const passed = passedThrough(call, target);
      const moduleConditions = new Set([...target.variables.values()].flatMap(validationConditions));
      for (const [variableName, variable] of caller.variables) {
        for (const condition of validationConditions(variable)) {
          const expected = translate(condition, passed);
          if (expected === undefined || moduleConditions.has(expected)) continue;
          const variables = new Set((expected.match(reference) ?? []).map((r) => `"${r.split(".")[1]}"`));
          const fedFrom = new Set(condition.match(reference));
          out.push(
            finding(
              "module-validations",
              `${caller.dir || "root"}: module "${name}"`,
              `${target.dir} variable ${[...variables].join(", ")} (fed from ${[...fedFrom].join(", ")}) lacks the validation of ${variableName}: ${expected}`,
            ),
          );
        }
      }
    }
  }
  return out;
}
