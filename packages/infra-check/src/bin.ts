#!/usr/bin/env node
// Runs every offline infrastructure check: `pnpm --filter @fanout/infra-check check`.
import { join } from "node:path";
import { formatFindings } from "./findings.ts";
import { loadInput, runChecks } from "./run.ts";
import { terraformBinary, terraformFmtCheck } from "./terraform.ts";
import { repoRoot } from "./workspace.ts";

const findings = runChecks(await loadInput());
const fmt = terraformFmtCheck(join(repoRoot, "terraform"), terraformBinary());
if (!fmt.ran) console.warn(`notice: ${fmt.notice}`);
else if (!fmt.ok) console.error(`terraform fmt -check failed:\n${fmt.output}`);
if (findings.length > 0) console.error(formatFindings(findings));
console.log(`${findings.length} finding(s)`);
process.exit(findings.length > 0 || (fmt.ran && !fmt.ok) ? 1 : 0);
