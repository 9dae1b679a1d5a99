import { type Finding, finding } from "./findings.ts";
import { calledModule, type Stack } from "./hcl.ts";

/** Module meta-arguments, which are not input variables. */
const metaArguments = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);

/** Each module call passes only variables the module declares, and every variable it requires. */
export function checkModuleCalls(stack: Stack): Finding[] {
  const out: Finding[] = [];
  for (const mod of stack.modules.values()) {
    for (const [name, call] of mod.moduleCalls) {
      const where = `${mod.dir || "root"}: module "${name}"`;
      const target = calledModule(stack, mod, call);
      if (!target) {
        out.push(finding("module-calls", where, `source ${String(call.source)} is not a local module`));
        continue;
      }
      const passed = Object.keys(call).filter((k) => !metaArguments.has(k));
      for (const key of passed) {
        if (!target.variables.has(key)) {
          out.push(finding("module-calls", where, `passes "${key}", which ${target.dir} does not declare`));
        }
      }
      for (const [variable, body] of target.variables) {
        if (!("default" in body) && !passed.includes(variable)) {
          out.push(
            finding("module-calls", where, `does not pass required variable "${variable}" of ${target.dir}`),
          );
        }
      }
    }
  }
  return out;
}
