import { describe, expect, it } from "vitest";
import { checkDocumentation } from "./documentation.ts";
import { checkModuleCalls } from "./module-calls.ts";
import { messages, stackWith } from "./testing.ts";

describe("checkModuleCalls", () => {
  it("passes the stack as written", async () => {
    expect(messages(checkModuleCalls(await stackWith()))).toEqual([]);
  });

  it("catches a call passing a variable the module does not declare", async () => {
    const found = messages(checkModuleCalls(await stackWith(["module-call-undeclared_override.tf", ""])));
    expect(found).toEqual([
      'root: module "queue": passes "visibility_timeout", which modules/queue does not declare',
    ]);
  });

  it("catches every call missing a required variable", async () => {
    const found = messages(
      checkModuleCalls(await stackWith(["module-required-variable.tf", "modules/function"])),
    );
    expect(found).toHaveLength(3);
    for (const fn of ["main", "consumer", "worker"]) {
      expect(found).toContain(
        `root: module "${fn}": does not pass required variable "memory_reservation_mb" of modules/function`,
      );
    }
  });
});

describe("checkDocumentation", () => {
  it("passes the stack as written", async () => {
    expect(messages(checkDocumentation(await stackWith()))).toEqual([]);
  });

  it("catches a variable without a type and an output without a description", async () => {
    const found = messages(
      checkDocumentation(await stackWith(["variable-without-type.tf", "modules/table"])),
    );
    expect(found).toEqual([
      'modules/table: variable "billing_mode" has no type',
      'modules/table: output "stream_arn" has no description',
    ]);
  });
});
