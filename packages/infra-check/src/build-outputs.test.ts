import { describe, expect, it } from "vitest";
import { checkBuildOutputs, resolveZipPath } from "./build-outputs.ts";
import { expr, messages, stackWith } from "./testing.ts";
import { functionPackages } from "./workspace.ts";

const functions = functionPackages();

describe("checkBuildOutputs", () => {
  it("finds the three function packages and their fanout blocks", () => {
    expect(functions.map((f) => f.fanout.function).sort()).toEqual(["consumer", "main", "worker"]);
  });

  it("passes the stack as written: handler, runtime, architecture and zip match each package.json", async () => {
    expect(messages(checkBuildOutputs(await stackWith(), functions))).toEqual([]);
  });

  it("catches a handler the bundle does not export", async () => {
    expect(
      messages(checkBuildOutputs(await stackWith(["build-handler_override.tf", ""]), functions)),
    ).toEqual(['root: module "worker": handler is "handler.handler", the build says "index.handler"']);
  });

  it("catches a zip path pnpm build does not write", async () => {
    expect(messages(checkBuildOutputs(await stackWith(["build-zip_override.tf", ""]), functions))).toEqual([
      'root: module "main": zip_path resolves to functions/main/dist/index.zip, pnpm build writes functions/main/dist/main.zip',
    ]);
  });

  it("catches an architecture the bundle is not built for", async () => {
    expect(
      messages(checkBuildOutputs(await stackWith(["build-architecture_override.tf", ""]), functions)),
    ).toEqual(['root: module "consumer": architecture is "x86_64", the build says "arm64"']);
  });

  it("resolves path.module against terraform/", () => {
    expect(resolveZipPath(`${expr("path.module")}/../functions/x/dist/x.zip`)).toBe("functions/x/dist/x.zip");
    expect(resolveZipPath(`${expr("var.dir")}/x.zip`)).toBeUndefined();
  });
});
