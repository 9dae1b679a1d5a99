import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * The `"fanout"` block of a function's package.json: the single source of truth for what `pnpm build`
 * produces and what Terraform deploys (the infra checks read the same block).
 */
export const manifestSchema = z.strictObject({
  function: z.string().regex(/^[a-z][a-z0-9-]*$/),
  handler: z.literal("index.handler"),
  runtime: z.enum(["nodejs22.x", "nodejs24.x"]),
  architecture: z.enum(["arm64", "x86_64"]),
  zip: z.string().regex(/^dist\/[a-z0-9-]+\.zip$/),
});
export type FunctionManifest = z.output<typeof manifestSchema>;

export function readManifest(functionDir: string): FunctionManifest {
  const pkg = JSON.parse(readFileSync(join(functionDir, "package.json"), "utf8")) as { fanout?: unknown };
  const parsed = manifestSchema.safeParse(pkg.fanout);
  if (!parsed.success) {
    throw new Error(`${functionDir}/package.json: invalid "fanout" block: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** esbuild target for a Lambda runtime, so the bundle uses exactly the syntax that runtime has. */
export function targetOf(runtime: FunctionManifest["runtime"]): string {
  return runtime === "nodejs24.x" ? "node24" : "node22";
}
