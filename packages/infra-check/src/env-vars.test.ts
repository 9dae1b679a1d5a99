import { describe, expect, it } from "vitest";
import { checkEnvironment, environmentEntries } from "./env-vars.ts";
import { expr, messages, stackWith } from "./testing.ts";

describe("checkEnvironment", () => {
  it("passes the stack as written: each function gets exactly what its config schema reads", async () => {
    expect(messages(checkEnvironment(await stackWith()))).toEqual([]);
  });

  it("catches a missing variable and one the function does not read", async () => {
    expect(messages(checkEnvironment(await stackWith(["env-missing-run-lease_override.tf", ""])))).toEqual([
      'root: module "worker": does not set RUN_LEASE_SECONDS',
      'root: module "worker": sets WORKER_FUNCTION_NAME, which worker does not read',
    ]);
  });

  it("catches a value from the wrong setting and an optional variable set unconditionally", async () => {
    expect(messages(checkEnvironment(await stackWith(["env-wrong-value_override.tf", ""])))).toEqual([
      'root: module "main": CONSUMER_FUNCTION_NAME must be set only when var.main_nudges_consumer',
      'root: module "worker": RUN_LEASE_SECONDS = tostring(var.functions.worker.timeout_seconds); expected ^tostring\\(var\\.functions\\.worker\\.timeout_seconds \\+ 30\\)$',
    ]);
  });

  it("catches a variable Lambda reserves and a scale-out setting from the wrong key", async () => {
    expect(messages(checkEnvironment(await stackWith(["env-lambda-reserved_override.tf", ""])))).toEqual([
      'root: module "consumer": SCALE_OUT_BACKLOG = tostring(var.consumer.max_parallel); expected ^tostring\\(var\\.consumer\\.scale_out_backlog\\)$',
      'root: module "consumer": sets AWS_LAMBDA_FUNCTION_NAME, which Lambda reserves and sets itself',
    ]);
  });

  it("reads entries and their condition out of a merge() expression", () => {
    const entries = environmentEntries(
      expr("merge({\n  A_B = var.x\n  C = tostring(var.y + 30)\n}, var.on ? { D = local.d } : {})"),
    );
    expect([...entries]).toEqual([
      ["A_B", { value: "var.x", conditionalOn: undefined }],
      ["C", { value: "tostring(var.y + 30)", conditionalOn: undefined }],
      ["D", { value: "local.d", conditionalOn: "var.on" }],
    ]);
  });
});
