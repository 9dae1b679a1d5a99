#!/usr/bin/env node
// Runs every offline infrastructure check: `pnpm --filter @fanout/infra-check check`.
import { join } from "node:path";
import { checkActionlint } from "./actionlint.ts";
import { formatFindings } from "./findings.ts";
import { loadProviderSchema } from "./provider-schema/schema.ts";
import { checkProviderSchemaWithCoverage } from "./provider-schema.ts";
import { loadInput, runChecks } from "./run.ts";
import { terraformBinary, terraformFmtCheck } from "./terraform.ts";
import { repoRoot } from "./workspace.ts";

const input = await loadInput();
const findings = [...runChecks(input), ...(await checkActionlint(input.workflows))];
const { coverage } = checkProviderSchemaWithCoverage(input.stack);
console.log(
  `provider schema: hashicorp/aws ${loadProviderSchema().version}, checked ${coverage.resources} resource and ` +
    `${coverage.dataSources} data blocks, ${coverage.nestedBlocks} nested blocks, ${coverage.arguments} arguments ` +
    `(${coverage.literals} literals type-checked)`,
);
const fmt = terraformFmtCheck(join(repoRoot, "terraform"), terraformBinary());
if (!fmt.ran) console.warn(`notice: ${fmt.notice}`);
else if (!fmt.ok) console.error(`terraform fmt -check failed:\n${fmt.output}`);
if (findings.length > 0) console.error(formatFindings(findings));
console.log(`${findings.length} finding(s)`);
process.exit(findings.length > 0 || (fmt.ran && !fmt.ok) ? 1 : 0);
