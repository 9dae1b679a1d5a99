import { describe, expect, it } from "vitest";
import { checkModuleValidations, validationConditions } from "./module-validations.ts";
import { messages, stackWith } from "./testing.ts";

describe("checkModuleValidations", () => {
  it("passes the stack as written: no module variable is looser than the root variable feeding it", async () => {
    expect(messages(checkModuleValidations(await stackWith()))).toEqual([]);
  });

  it("catches a module regex looser than the root's (modules/schedule accepting rate(1 minutes))", async () => {
    const found = messages(
      checkModuleValidations(await stackWith(["module-validation-loose_override.tf", "modules/schedule"])),
    );
    expect(found).toEqual([
      `root: module "schedule": modules/schedule variable "schedule_expression" (fed from var.schedule_expression) lacks the validation of schedule_expression: can(regex("^(rate\\\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\\\)|cron\\\\(\\\\S+( \\\\S+){5}\\\\))$", var.schedule_expression))`,
    ]);
  });

  it("catches a dropped module validation once per call feeding it", async () => {
    const found = messages(
      checkModuleValidations(await stackWith(["module-validation-dropped_override.tf", "modules/function"])),
    );
    expect(found).toEqual(
      ["consumer", "main", "worker"].map(
        (fn) =>
          `root: module "${fn}": modules/function variable "log_retention_days" (fed from var.log_retention_days) lacks the validation of log_retention_days: var.log_retention_days >= 1 && floor(var.log_retention_days) == var.log_retention_days`,
      ),
    );
  });
});

describe("validationConditions", () => {
  it("unrolls a condition over a list into one condition per element", async () => {
    const stack = await stackWith();
    const functions = stack.root.variables.get("functions");
    if (!functions) throw new Error("root variable functions missing");
    expect(validationConditions(functions)).toContain(
      "var.functions.worker.memory_mb >= 128 && var.functions.worker.memory_mb <= 10240 && floor(var.functions.worker.memory_mb) == var.functions.worker.memory_mb",
    );
  });
});
