import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkModuleReadmes,
  inputColumns,
  inputRows,
  markdownTable,
  parseModuleReadme,
  readModuleReadmes,
  replaceTable,
} from "./module-readme.ts";
import { terraformBinary, terraformFmtCheck } from "./terraform.ts";
import { fixturesDir, messages, stackWith } from "./testing.ts";

/** The findings for a README fixture read as the README of modules/schedule. */
async function scheduleReadmeFindings(fixture: string): Promise<string[]> {
  const stack = await stackWith();
  const markdown = readFileSync(join(fixturesDir, "readme", fixture), "utf8");
  const readme = await parseModuleReadme("modules/schedule", markdown, `fixtures/readme/${fixture}`);
  return messages(checkModuleReadmes(stack, [readme]));
}

describe("checkModuleReadmes", () => {
  it("passes every Terraform README as committed: root and the eight modules", async () => {
    const stack = await stackWith();
    const readmes = await readModuleReadmes(stack);
    expect(readmes.map((r) => r.path).sort()).toEqual([
      "terraform/README.md",
      "terraform/modules/alarms/README.md",
      "terraform/modules/function/README.md",
      "terraform/modules/input/README.md",
      "terraform/modules/notifications/README.md",
      "terraform/modules/queue/README.md",
      "terraform/modules/schedule/README.md",
      "terraform/modules/table/README.md",
      "terraform/modules/topic/README.md",
    ]);
    expect(messages(checkModuleReadmes(stack, readmes))).toEqual([]);
  });

  it("fails on the stale fixture stale-inputs.md: a missing input row (timezone) and a wrong default (enabled)", async () => {
    expect(await scheduleReadmeFindings("stale-inputs.md")).toEqual([
      'fixtures/readme/stale-inputs.md: input "enabled": Default is `false`, variables.tf says `true`',
      'fixtures/readme/stale-inputs.md: input "timezone" is missing from the Inputs table',
    ]);
  });

  it("fails on a usage example calling the module wrongly, a wrong Required cell and an extra output", async () => {
    expect(await scheduleReadmeFindings("stale-usage.md")).toEqual([
      'fixtures/readme/stale-usage.md: ## Usage: module "schedule" passes "schedule_group", which modules/schedule does not declare',
      'fixtures/readme/stale-usage.md: ## Usage: module "schedule" does not pass required variable "schedule_expression" of modules/schedule',
      'fixtures/readme/stale-usage.md: input "name": Required is no, variables.tf says yes',
      'fixtures/readme/stale-usage.md: the Outputs table lists "group_name", which outputs.tf does not declare',
    ]);
  });

  it("fails on a usage example that does not parse", async () => {
    const found = await scheduleReadmeFindings("usage-unparsable.md");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^fixtures\/readme\/usage-unparsable.md: the ## Usage example does not parse: .*Invalid expression/,
    );
  });

  it("fails on a module README that does not open with ## Usage", async () => {
    expect(await scheduleReadmeFindings("no-usage.md")).toEqual([
      "fixtures/readme/no-usage.md: no ## Usage section with an ```hcl example",
      "fixtures/readme/no-usage.md: its first sections must be Usage, Inputs, Outputs; they are Inputs, Outputs, What it creates",
    ]);
  });

  it("fails on a row for a variable that does not exist and on a malformed row", async () => {
    const stack = await stackWith();
    const rows = [
      ...inputRows(stack.modules.get("modules/table") ?? stack.root),
      ["`billing_mode`", "Gone.", "`string`", '`"PAY_PER_REQUEST"`', "no"],
      ["billing", "No backticks.", "`string`", "PAY_PER_REQUEST", "maybe"],
    ];
    const markdown = replaceTable(
      "# table\n\nA table.\n\n## Usage\n\n## Inputs\n\n## Outputs\n",
      "Inputs",
      markdownTable(inputColumns, rows),
    );
    const readme = await parseModuleReadme("modules/table", markdown);
    expect(messages(checkModuleReadmes(stack, [readme]))).toEqual(
      expect.arrayContaining([
        'terraform/modules/table/README.md: the Inputs table lists "billing_mode", which variables.tf does not declare',
        'terraform/modules/table/README.md: Inputs row | billing | No backticks. | `string` | PAY_PER_REQUEST | maybe |: Name must be the name in backticks; Default must be n/a or a JSON value in backticks; Invalid option: expected one of "yes"|"no"',
      ]),
    );
  });
});

describe("replaceTable", () => {
  it("replaces the table of a section and leaves the text around it", () => {
    const before = "# t\n\n## Inputs\n\nSome words.\n\n| a |\n|---|\n| old |\n\n## Outputs\n";
    expect(replaceTable(before, "Inputs", "| a |\n|---|\n| new |")).toBe(
      "# t\n\n## Inputs\n\nSome words.\n\n| a |\n|---|\n| new |\n\n## Outputs\n",
    );
  });
});

describe("the Usage examples", () => {
  const bin = terraformBinary();

  // Without a terraform binary this shows as skipped in the report instead of passing silently.
  it.skipIf(!bin)("are formatted as terraform fmt formats them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "infra-check-usage-"));
    try {
      for (const readme of await readModuleReadmes(await stackWith())) {
        if (readme.usageSource === "") continue;
        mkdirSync(join(dir, readme.dir), { recursive: true });
        writeFileSync(join(dir, readme.dir, "usage.tf"), `${readme.usageSource}\n`);
      }
      expect(terraformFmtCheck(dir, bin)).toMatchObject({ ran: true, output: "", ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
