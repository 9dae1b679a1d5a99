import { join } from "node:path";
import { checkBuildOutputs } from "./build-outputs.ts";
import { checkDocumentation } from "./documentation.ts";
import { checkEnvironment } from "./env-vars.ts";
import type { Finding } from "./findings.ts";
import { type Block, type ExtraFile, loadStack, type Stack } from "./hcl.ts";
import { checkIam } from "./iam.ts";
import { checkInvariantsMirrored } from "./invariants.ts";
import { checkInputBucket, checkJobsTopic, checkTableIndexes } from "./job-resources.ts";
import { checkModuleCalls } from "./module-calls.ts";
import { checkModuleReadmes, type ModuleReadme, readModuleReadmes } from "./module-readme.ts";
import { checkModuleValidations } from "./module-validations.ts";
import { checkDeployTriggers, checkPathFilters } from "./path-filters.ts";
import { checkProviderSchema } from "./provider-schema.ts";
import { checkQueueSizes } from "./queue-sizes.ts";
import { checkSchedule } from "./schedule.ts";
import {
  checkSettingsFiles,
  checkVariablesMatchSchema,
  readSettingsFiles,
  type SettingsFile,
} from "./settings.ts";
import { checkStreamMapping } from "./stream-mapping.ts";
import { checkTags } from "./tags.ts";
import { checkTflintRuleset, readTflintConfig } from "./tflint-ruleset.ts";
import { checkVisibilityTimeout } from "./timeouts.ts";
import { checkWiring } from "./wiring.ts";
import { checkCiRoles, checkDeployPath, checkWorkflows, readWorkflows, type Workflow } from "./workflows.ts";
import { functionPackages, readJson, repoRoot } from "./workspace.ts";

export interface CheckInput {
  stack: Stack;
  settings: SettingsFile[];
  workflows: Workflow[];
  /** terraform/README.md and each module's README.md, with its Usage example parsed. */
  readmes: ModuleReadme[];
  /** terraform/.tflint.hcl, parsed. */
  tflint: Block;
}

/** Loads terraform/, its settings files and the workflows, with optional extra (fixture) files. */
export async function loadInput(
  options: { extraTf?: ExtraFile[]; settings?: SettingsFile[]; workflows?: Workflow[] } = {},
): Promise<CheckInput> {
  const terraform = join(repoRoot, "terraform");
  const stack = await loadStack(terraform, options.extraTf ?? []);
  return {
    stack,
    settings: options.settings ?? readSettingsFiles(join(terraform, "environments")),
    workflows: options.workflows ?? readWorkflows(),
    readmes: await readModuleReadmes(stack),
    tflint: await readTflintConfig(),
  };
}

/** Every offline check, in one list of findings (empty when all pass). */
export function runChecks(input: CheckInput): Finding[] {
  const functions = functionPackages();
  const dev = readJson<Record<string, unknown>>(
    join(repoRoot, "terraform", "environments", "dev.tfvars.json"),
  );
  return [
    ...checkProviderSchema(input.stack),
    ...checkModuleCalls(input.stack),
    ...checkModuleValidations(input.stack),
    ...checkDocumentation(input.stack),
    ...checkModuleReadmes(input.stack, input.readmes),
    ...checkTags(input.stack),
    ...checkTflintRuleset(input.stack, input.tflint),
    ...checkIam(input.stack),
    ...checkBuildOutputs(input.stack, functions),
    ...checkEnvironment(input.stack),
    ...checkVisibilityTimeout(input.stack),
    ...checkQueueSizes(input.stack),
    ...checkSchedule(input.stack),
    ...checkWiring(input.stack),
    ...checkTableIndexes(input.stack),
    ...checkStreamMapping(input.stack),
    ...checkJobsTopic(input.stack),
    ...checkInputBucket(input.stack),
    ...checkVariablesMatchSchema(input.stack),
    ...checkSettingsFiles(input.stack, input.settings),
    ...checkInvariantsMirrored(input.stack, dev),
    ...checkWorkflows(input.workflows),
    ...checkDeployPath(input.workflows),
    ...checkCiRoles(input.workflows),
    ...checkPathFilters(input.workflows, functions),
    ...checkDeployTriggers(input.workflows, functions),
  ];
}
