import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { terraformBinary, terraformFmtCheck } from "./terraform.ts";
import { terraformDir } from "./testing.ts";

describe("terraformFmtCheck", () => {
  const bin = terraformBinary();

  // Without a terraform binary these show as skipped in the report instead of passing silently.
  it.skipIf(!bin)("passes terraform/ as committed (terraform fmt -check -recursive)", () => {
    const result = terraformFmtCheck(terraformDir, bin);
    expect(result).toMatchObject({ ran: true, output: "", ok: true });
  });

  it.skipIf(!bin)("catches a badly formatted file", () => {
    const dir = mkdtempSync(join(tmpdir(), "infra-check-fmt-"));
    try {
      cpSync(join(terraformDir, "modules"), join(dir, "modules"), { recursive: true });
      writeFileSync(join(dir, "modules", "queue", "broken.tf"), 'locals {\nx=1\n    yy =   "2"\n}\n');
      const result = terraformFmtCheck(dir, bin);
      expect(result.ran && !result.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports, rather than silently passes, when there is no terraform binary", () => {
    expect(terraformFmtCheck(terraformDir, undefined)).toEqual({
      ran: false,
      notice: "terraform not found on PATH: skipped `terraform fmt -check -recursive`",
    });
  });
});
