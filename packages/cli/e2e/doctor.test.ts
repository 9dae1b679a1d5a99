import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestStack } from "@fanout/local-stack/testing";
import type { SettingsInput } from "@fanout/tooling";
import { describe, expect, it } from "vitest";
import { runBin } from "../src/testing.ts";

/**
 * `fanout doctor` against the local Lambda service, whose GetAccountSettings reports the limit the stack is
 * given: prod's settings (204 reserved) fit an account of 1,000 and not one of 10, as on a new account.
 */
const prod = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../terraform/environments/prod.tfvars.json"), "utf8"),
) as SettingsInput & { functions: Record<string, { reserved_concurrency?: number | null }> };
const reserved = Object.values(prod.functions).reduce((n, f) => n + (f.reserved_concurrency ?? 0), 0);

async function doctorWith(accountConcurrencyLimit: number) {
  // The stack runs without reservations (as before a first apply); the settings file asks for prod's.
  const settings: SettingsInput = { name_prefix: `doc${accountConcurrencyLimit}` };
  const stack = await startTestStack(settings, { accountConcurrencyLimit });
  try {
    const dir = mkdtempSync(join(tmpdir(), "fanout-doctor-"));
    const file = join(dir, "settings.json");
    writeFileSync(file, JSON.stringify({ ...prod, ...settings }));
    const text = await runBin(["doctor", "--settings", file], stack.env);
    const json = await runBin(["doctor", "--json", "--settings", file], stack.env);
    if (json.stdout === "") throw new Error(`doctor printed nothing: ${json.stderr}`);
    return { text, report: JSON.parse(json.stdout) as Record<string, unknown>, code: json.code };
  } finally {
    await stack.stop();
  }
}

describe("fanout doctor", () => {
  it("says prod's reservations fit an account limit of 1,000: exit 0", async () => {
    expect(reserved).toBe(204);
    const { text, report, code } = await doctorWith(1_000);
    expect(code).toBe(0);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("reserved concurrency: fits");
    expect(report).toMatchObject({
      accountLimit: 1_000,
      reservedByOthers: 0,
      unreservedAfter: 796,
      fits: true,
    });
  }, 120_000);

  it("says they do not fit a new account's limit of 10, naming what to change: exit 1", async () => {
    const { text, report, code } = await doctorWith(10);
    expect(code).toBe(1);
    expect(text.stdout).toContain("reserved concurrency: DOES NOT FIT");
    expect(text.stderr).toMatch(
      /lower functions\.\*\.reserved_concurrency .* or ask for a higher "Concurrent executions" quota/,
    );
    expect(report).toMatchObject({ accountLimit: 10, unreservedAfter: 10 - 204, fits: false });
  }, 120_000);
});
