import { join, resolve } from "node:path";

/** The repository root (this file is packages/local-stack/src/paths.ts). */
export const repoRoot = resolve(import.meta.dirname, "../../..");

/** Local state: unpacked function code, logs, DynamoDB data. Ignored by git. */
export const stateDir = join(repoRoot, ".fanout");

/** The settings file shared with Terraform. */
export const defaultSettingsPath = join(repoRoot, "terraform/environments/dev.tfvars.json");

export const functionNames = ["main", "consumer", "worker"] as const;
export type FunctionName = (typeof functionNames)[number];

/** Where `pnpm build` puts a function's zip. */
export const zipPathOf = (fn: FunctionName) => join(repoRoot, "functions", fn, "dist", `${fn}.zip`);
