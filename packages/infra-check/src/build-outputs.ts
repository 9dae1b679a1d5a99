import { posix } from "node:path";
import { type Finding, finding } from "./findings.ts";
import { calledModule, mentions, type Stack } from "./hcl.ts";
import type { FunctionManifest, WorkspacePackage } from "./workspace.ts";

type FunctionPackage = WorkspacePackage & { fanout: FunctionManifest };

/** Resolves `${path.module}/../functions/x/dist/x.zip` (root module) to a path relative to the repo root. */
export function resolveZipPath(expression: unknown, terraformDir = "terraform"): string | undefined {
  if (typeof expression !== "string") return undefined;
  const replaced = expression.replace(/\$\{path\.(module|root)\}/g, terraformDir);
  if (replaced.includes("${")) return undefined;
  return posix.normalize(replaced);
}

/**
 * The handler, runtime, architecture and zip path of each function in the root stack are those of its
 * package.json `"fanout"` block (what `pnpm build` produces), and the function module deploys exactly them.
 */
export function checkBuildOutputs(stack: Stack, functions: readonly FunctionPackage[]): Finding[] {
  const out: Finding[] = [];
  const functionCalls = [...stack.root.moduleCalls].filter(([, call]) =>
    calledModule(stack, stack.root, call)?.resources.some((r) => r.type === "aws_lambda_function"),
  );
  for (const pkg of functions) {
    const m = pkg.fanout;
    const call = stack.root.moduleCalls.get(m.function);
    const where = `root: module "${m.function}"`;
    if (!call) {
      out.push(finding("build-outputs", "root", `no module "${m.function}" deploys ${pkg.dir}`));
      continue;
    }
    for (const key of ["handler", "runtime", "architecture"] as const) {
      if (call[key] !== m[key]) {
        out.push(
          finding(
            "build-outputs",
            where,
            `${key} is ${JSON.stringify(call[key])}, the build says "${m[key]}"`,
          ),
        );
      }
    }
    const zip = resolveZipPath(call.zip_path);
    const built = posix.join(pkg.dir, m.zip);
    if (zip !== built)
      out.push(finding("build-outputs", where, `zip_path resolves to ${zip}, pnpm build writes ${built}`));
  }
  for (const [name] of functionCalls) {
    if (!functions.some((f) => f.fanout.function === name)) {
      out.push(finding("build-outputs", `root: module "${name}"`, "deploys a function no package builds"));
    }
  }
  const fnModule = functionCalls[0] && calledModule(stack, stack.root, functionCalls[0][1]);
  const lambda = fnModule?.resources.find((r) => r.type === "aws_lambda_function");
  if (fnModule && lambda) {
    const b = lambda.body;
    const where = `${fnModule.dir}: aws_lambda_function.${lambda.name}`;
    const expect: Array<[string, boolean]> = [
      ["filename = var.zip_path", mentions(b.filename, "var.zip_path")],
      [
        "source_code_hash = filebase64sha256(var.zip_path)",
        /filebase64sha256\(\s*var\.zip_path\s*\)/.test(String(b.source_code_hash)),
      ],
      ["handler = var.handler", mentions(b.handler, "var.handler")],
      ["runtime = var.runtime", mentions(b.runtime, "var.runtime")],
      ["architectures = [var.architecture]", mentions(b.architectures, "var.architecture")],
    ];
    for (const [what, ok] of expect) if (!ok) out.push(finding("build-outputs", where, `must set ${what}`));
  }
  return out;
}
