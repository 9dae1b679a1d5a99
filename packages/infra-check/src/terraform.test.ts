import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { terraformBinary, terraformFmtCheck } from "./terraform.ts";
import { terraformDir } from "./testing.ts";

describe("terraformFmtCheck", () => {
  const bin = terraformBinary();

  it("passes terraform/ as committed (terraform fmt -check -recursive)", () => {
    const result = terraformFmtCheck(terraformDir, bin);
    if (!result.ran) {
      console.warn(`notice: ${result.notice}`);
      return;
    }
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  });

  it("catches a badly formatted file", () => {
    if (!bin) {
      console.warn("notice: terraform not found on PATH: skipped the broken-format fixture");
      return;
    }
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
