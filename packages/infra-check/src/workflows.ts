import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { parseDocument, parse as parseYaml } from "yaml";
import { type Finding, finding } from "./findings.ts";
import { type PackageJson, readJson, repoRoot, workspacePackages } from "./workspace.ts";

export interface Workflow {
  /** Path relative to the repository root. */
  path: string;
  source: string;
  /** Parsed YAML, or undefined when it does not parse. */
  doc: Record<string, unknown> | undefined;
  errors: string[];
}

export type Step = Record<string, unknown>;
export type Job = Record<string, unknown> & { steps?: Step[] };

export function parseWorkflow(path: string, source: string): Workflow {
  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  const errors = document.errors.map((e) => e.message);
  const doc = errors.length === 0 ? (document.toJS() as Record<string, unknown>) : undefined;
  return { path, source, doc, errors };
}

export function readWorkflows(root = repoRoot): Workflow[] {
  const dir = join(root, ".github", "workflows");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => parseWorkflow(posix.join(".github/workflows", f), readFileSync(join(dir, f), "utf8")));
}

export function jobsOf(wf: Workflow): Array<[string, Job]> {
  const jobs = wf.doc?.jobs;
  return jobs && typeof jobs === "object" ? (Object.entries(jobs) as Array<[string, Job]>) : [];
}

/** `on:` of a workflow (YAML 1.2 keeps `on` a string key). */
export function triggersOf(wf: Workflow): Record<string, unknown> {
  const on = wf.doc?.on;
  if (typeof on === "string") return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), {}]));
  return (on as Record<string, unknown>) ?? {};
}

/** An action at a full commit SHA: a tag, even an exact vX.Y.Z, can be moved to other code. */
const pinned = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;
/** A container action at an image digest. */
const pinnedImage = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;

/** pnpm commands that are not package scripts. */
const pnpmBuiltins = new Set([
  "install",
  "i",
  "add",
  "remove",
  "update",
  "exec",
  "dlx",
  "store",
  "fetch",
  "why",
  "list",
  "ls",
  "audit",
  "outdated",
  "config",
  "env",
  "setup",
  "deploy",
  "pack",
  "publish",
  "rebuild",
  "prune",
  "licenses",
  "-r",
  "--recursive",
]);

interface Context {
  root: string;
  rootScripts: Record<string, string>;
  packages: Map<string, PackageJson>;
  turboTasks: Set<string>;
}

function context(root: string): Context {
  const turbo = readJson<{ tasks?: Record<string, unknown> }>(join(root, "turbo.json"));
  return {
    root,
    rootScripts: readJson<PackageJson>(join(root, "package.json")).scripts ?? {},
    packages: new Map(workspacePackages(root).map((p) => [p.name, p.json])),
    turboTasks: new Set(Object.keys(turbo.tasks ?? {})),
  };
}

const unquote = (t: string) => t.replace(/^["']|["']$/g, "");
const dynamic = (t: string) => t.includes("$");

/** Problems with the scripts, files, packages and tasks one shell command refers to. */
function commandProblems(tokens: string[], cwd: string, ctx: Context): string[] {
  const [cmd, ...args] = tokens;
  if (!cmd) return [];
  const exists = (p: string) => dynamic(p) || existsSync(join(ctx.root, cwd, p));
  const filterOf = (list: string[]) => {
    const out: string[] = [];
    list.forEach((t, n) => {
      if (t.startsWith("--filter=")) out.push(t.slice("--filter=".length));
      else if ((t === "--filter" || t === "-F") && list[n + 1]) out.push(list[n + 1] as string);
    });
    return out.map(unquote).map((f) => f.replace(/^\.\.\.|\.\.\.$|^\^/g, "").replace(/\.\.\.$/, ""));
  };
  if (cmd === "node") {
    const file = args.find((a) => !a.startsWith("-"));
    if (!file) return [];
    if (!exists(file)) return [`node ${file}: no such file`];
    if (file === "scripts/toolchain.mjs")
      return commandProblems(args.slice(args.indexOf(file) + 1), cwd, ctx);
    return [];
  }
  const problems: string[] = [];
  for (const f of filterOf(args)) {
    if (!dynamic(f) && !f.startsWith("[") && !ctx.packages.has(f))
      problems.push(`--filter ${f}: no such workspace package`);
  }
  if (cmd === "bash" || cmd === "sh") {
    const file = args.find((a) => !a.startsWith("-"));
    if (file && !exists(file)) problems.push(`${cmd} ${file}: no such file`);
    return problems;
  }
  if (cmd.startsWith("./") && !exists(cmd)) return [...problems, `${cmd}: no such file`];
  if (cmd === "pnpm") {
    const rest = args.filter(
      (a, n) =>
        !(a.startsWith("--filter") || a === "-F" || args[n - 1] === "--filter" || args[n - 1] === "-F"),
    );
    const first = rest[0];
    if (!first || pnpmBuiltins.has(first) || first.startsWith("-")) return problems;
    const script = first === "run" ? rest[1] : first;
    if (!script) return problems;
    const filters = filterOf(args);
    const scopes =
      filters.length > 0 ? filters.map((f) => ctx.packages.get(f)?.scripts ?? {}) : [ctx.rootScripts];
    if (!dynamic(script) && scopes.some((s) => !(script in s)))
      problems.push(`pnpm ${script}: no such script`);
    return problems;
  }
  if (cmd === "turbo") {
    const tasks =
      args[0] === "run" ? args.slice(1).filter((a) => !a.startsWith("-") && !a.includes("=")) : [];
    for (const t of tasks.map(unquote))
      if (!ctx.turboTasks.has(t)) problems.push(`turbo run ${t}: no such task in turbo.json`);
    return problems;
  }
  if (cmd === "terraform") {
    const chdir = args.find((a) => a.startsWith("-chdir="));
    if (chdir && !exists(chdir.slice("-chdir=".length)))
      problems.push(`terraform ${chdir}: no such directory`);
  }
  return problems;
}

/** Splits a run block into commands (lines, &&, ||, ;, |), each into whitespace tokens. */
export function commandsOf(run: string): string[][] {
  return run
    .replace(/\\\n/g, " ")
    .split(/\n|&&|\|\||;|\|/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0 && !c.startsWith("#"))
    .map((c) => c.split(/\s+/).map(unquote));
}

/**
 * Workflows parse as YAML with `on` and `jobs`; every external action is pinned to a full commit SHA (a
 * container action to an image digest); every local reusable workflow, script, file, package, script name and turbo task that a
 * step refers to exists.
 */
export function checkWorkflows(workflows: readonly Workflow[], root = repoRoot): Finding[] {
  const out: Finding[] = [];
  const ctx = context(root);
  for (const wf of workflows) {
    if (!wf.doc) {
      out.push(finding("workflows", wf.path, `not valid YAML: ${wf.errors.join("; ")}`));
      continue;
    }
    if (!wf.doc.on) out.push(finding("workflows", wf.path, "has no `on` triggers"));
    if (jobsOf(wf).length === 0) out.push(finding("workflows", wf.path, "has no jobs"));
    for (const [jobName, job] of jobsOf(wf)) {
      const where = `${wf.path}: job ${jobName}`;
      const uses: string[] = [];
      if (typeof job.uses === "string") uses.push(job.uses);
      for (const step of job.steps ?? []) if (typeof step.uses === "string") uses.push(step.uses);
      for (const u of uses) {
        if (u.startsWith("./")) {
          if (!existsSync(join(root, u.replace(/@.*$/, ""))))
            out.push(finding("workflows", where, `uses ${u}: no such file`));
        } else if (u.startsWith("docker://") ? !pinnedImage.test(u) : !pinned.test(u)) {
          out.push(
            finding(
              "workflows",
              where,
              `uses ${u}: not pinned to a commit SHA (an image to a sha256 digest); a tag can be moved`,
            ),
          );
        }
      }
      const defaults = (job.defaults as { run?: { "working-directory"?: string } } | undefined)?.run?.[
        "working-directory"
      ];
      for (const step of job.steps ?? []) {
        const cwd = (step["working-directory"] as string | undefined) ?? defaults ?? ".";
        if (!dynamic(cwd) && !existsSync(join(root, cwd))) {
          out.push(finding("workflows", where, `working-directory ${cwd}: no such directory`));
          continue;
        }
        if (typeof step.run !== "string") continue;
        for (const command of commandsOf(step.run)) {
          for (const p of commandProblems(command, cwd, ctx)) out.push(finding("workflows", where, p));
        }
      }
    }
  }
  return out;
}

export { parseYaml };

/** The one workflow that applies Terraform (docs/decisions/0104-one-deploy-order.md). */
export const deployWorkflow = ".github/workflows/deploy-environment.yml";

const changesLambdaOutsideTerraform =
  /^aws lambda (update-function-code|update-function-configuration|publish-version)$/;

/**
 * One deploy path (ADR 0104): no workflow changes a function's code or configuration behind Terraform's
 * back (`aws lambda update-function-code`, ...); only deploy-environment.yml runs `terraform apply`, and
 * there only a saved plan (`terraform apply [flags] tfplan`, no -var, -var-file or -auto-approve), in a job
 * gated by a GitHub environment and a concurrency group that never cancels a run in progress.
 */
export function checkDeployPath(workflows: readonly Workflow[]): Finding[] {
  const out: Finding[] = [];
  for (const wf of workflows) {
    for (const [jobName, job] of jobsOf(wf)) {
      const where = `${wf.path}: job ${jobName}`;
      for (const step of job.steps ?? []) {
        if (typeof step.run !== "string") continue;
        for (const command of commandsOf(step.run)) {
          const text = command.join(" ");
          const lambda = command.slice(0, 3).join(" ");
          if (changesLambdaOutsideTerraform.test(lambda))
            out.push(finding("deploy-path", where, `${lambda}: functions change only through Terraform`));
          if (command[0] !== "terraform" || !command.includes("apply")) continue;
          if (wf.path !== deployWorkflow) {
            out.push(finding("deploy-path", where, `${text}: only ${deployWorkflow} applies Terraform`));
            continue;
          }
          const args = command.slice(command.indexOf("apply") + 1);
          const savedPlan = args.filter((a) => !a.startsWith("-")).length === 1;
          const reopens = args.some((a) => /^-(var|var-file|auto-approve)(=|$)/.test(a));
          if (!savedPlan || reopens)
            out.push(finding("deploy-path", where, `${text}: apply only the saved, approved plan file`));
          const concurrency = job.concurrency as { "cancel-in-progress"?: unknown } | undefined;
          if (job.environment === undefined || concurrency?.["cancel-in-progress"] !== false)
            out.push(
              finding(
                "deploy-path",
                where,
                "applies without a GitHub environment or without a concurrency group with cancel-in-progress: false",
              ),
            );
        }
      }
    }
  }
  return out;
}

/** The role a job assumes (configure-aws-credentials' `role-to-assume`), as written. */
function rolesOf(job: Job): string[] {
  return (job.steps ?? [])
    .filter((s) => typeof s.uses === "string" && s.uses.startsWith("aws-actions/configure-aws-credentials@"))
    .map((s) => String((s.with as Record<string, unknown> | undefined)?.["role-to-assume"] ?? ""));
}

/**
 * CI roles (issue 19): a pull request's plan runs the PR's own code, so it must not hold a role that can
 * change anything. A job of a pull_request workflow that runs `terraform plan` has no GitHub environment
 * (its OIDC subject is then `repo:<owner>/<repo>:pull_request`), assumes only `vars.AWS_PR_PLAN_ROLE_ARN`,
 * and plans with `-lock=false` (that role may only read the state). The deploy roles (`AWS_PLAN_ROLE_ARN`,
 * `AWS_APPLY_ROLE_ARN`) are assumed only in the deploy workflow; no workflow that runs Terraform is
 * triggered by `pull_request_target` (which runs with the base repository's secrets); and every job that
 * deploys an environment runs only on main or a release tag.
 */
export function checkCiRoles(workflows: readonly Workflow[]): Finding[] {
  const out: Finding[] = [];
  const deployRole = /vars\.AWS_(PLAN|APPLY)_ROLE_ARN/;
  for (const wf of workflows) {
    const triggers = triggersOf(wf);
    for (const [jobName, job] of jobsOf(wf)) {
      const where = `${wf.path}: job ${jobName}`;
      const commands = (job.steps ?? []).flatMap((s) => (typeof s.run === "string" ? commandsOf(s.run) : []));
      const terraform = commands.filter((c) => c[0] === "terraform");
      const plans = terraform.filter((c) => c[1] === "plan");
      const roles = rolesOf(job);
      if (terraform.length > 0 && "pull_request_target" in triggers)
        out.push(
          finding(
            "ci-roles",
            where,
            "runs Terraform on pull_request_target, with the base repository's secrets",
          ),
        );
      if (wf.path !== deployWorkflow && roles.some((r) => deployRole.test(r)))
        out.push(
          finding("ci-roles", where, `assumes a deploy role (${roles.join(", ")}) outside ${deployWorkflow}`),
        );
      if (wf.path === deployWorkflow || !("pull_request" in triggers) || plans.length === 0) continue;
      if (job.environment !== undefined)
        out.push(
          finding(
            "ci-roles",
            where,
            "plans a pull request under a GitHub environment (its OIDC subject would be the environment's, not pull_request)",
          ),
        );
      if (roles.length === 0 || roles.some((r) => !r.includes("vars.AWS_PR_PLAN_ROLE_ARN")))
        out.push(
          finding(
            "ci-roles",
            where,
            `plans a pull request with ${roles.join(", ") || "no role"}, not vars.AWS_PR_PLAN_ROLE_ARN`,
          ),
        );
      for (const plan of plans)
        if (!plan.includes("-lock=false"))
          out.push(
            finding(
              "ci-roles",
              where,
              `${plan.join(" ")}: a pull request's plan may not take the state lock (-lock=false)`,
            ),
          );
    }
    for (const [jobName, job] of jobsOf(wf)) {
      if (job.uses !== `./${deployWorkflow}`) continue;
      if (!/github\.ref == 'refs\/heads\/main'/.test(String(job.if ?? "")))
        out.push(
          finding(
            "ci-roles",
            `${wf.path}: job ${jobName}`,
            "deploys an environment from any branch (no `if:` on refs/heads/main)",
          ),
        );
    }
  }
  return out;
}
