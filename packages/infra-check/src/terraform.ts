import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The terraform binary on PATH (or TERRAFORM), or undefined when there is none. */
export function terraformBinary(): string | undefined {
  const bin = process.env.TERRAFORM ?? "terraform";
  const r = spawnSync(bin, ["version"], { encoding: "utf8" });
  return r.status === 0 ? bin : undefined;
}

/** No CLI config lookup (and its warning), no update check. */
function quietEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1" };
}

export type FmtResult = { ran: false; notice: string } | { ran: true; ok: boolean; output: string };

/** `terraform fmt -check -recursive -diff <dir>`, or a notice saying why it did not run. */
export function terraformFmtCheck(dir: string, bin: string | undefined): FmtResult {
  if (!bin)
    return { ran: false, notice: "terraform not found on PATH: skipped `terraform fmt -check -recursive`" };
  const r = spawnSync(bin, ["fmt", "-check", "-recursive", "-diff", "-no-color", dir], {
    encoding: "utf8",
    env: quietEnv(),
  });
  return { ran: true, ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export interface Verdict {
  accepted: boolean;
  output: string;
}

/**
 * Asks Terraform itself whether it accepts each set of variable values: a scratch directory holding only
 * the given variables.tf (no providers, so `init` and `plan` work offline), one plan per case. Every
 * `validation` block is evaluated by Terraform, cross-variable references included.
 */
export function terraformVerdicts(
  variablesTf: string,
  cases: readonly Record<string, unknown>[],
  bin: string,
): Verdict[] {
  const dir = mkdtempSync(join(tmpdir(), "infra-check-tf-"));
  try {
    writeFileSync(join(dir, "variables.tf"), variablesTf);
    const env = quietEnv();
    const init = spawnSync(bin, ["init", "-backend=false", "-input=false", "-no-color"], {
      cwd: dir,
      env,
      encoding: "utf8",
    });
    if (init.status !== 0) throw new Error(`terraform init failed: ${init.stdout}${init.stderr}`);
    return cases.map((values, n) => {
      const file = join(dir, `case-${n}.tfvars.json`);
      writeFileSync(file, JSON.stringify(values));
      const r = spawnSync(
        bin,
        ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", `-var-file=${file}`],
        {
          cwd: dir,
          env,
          encoding: "utf8",
        },
      );
      return { accepted: r.status === 0, output: `${r.stdout}${r.stderr}` };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
