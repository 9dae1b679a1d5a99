import { describe, expect, it } from "vitest";
import { checkDeployTriggers, checkPathFilters, expectedPaths } from "./path-filters.ts";
import { messages, workflowFixture } from "./testing.ts";
import { checkCiRoles, checkDeployPath, checkWorkflows, parseWorkflow, readWorkflows } from "./workflows.ts";
import { functionPackages, type WorkspacePackage, workspaceClosure } from "./workspace.ts";

const workflows = readWorkflows();
const functions = functionPackages();

describe("checkWorkflows", () => {
  it("finds a reusable pipeline, one caller per function, the deploy workflows and the Terraform checks", () => {
    expect(workflows.map((w) => w.path)).toEqual([
      ".github/workflows/deploy-environment.yml",
      ".github/workflows/deploy.yml",
      ".github/workflows/function-consumer.yml",
      ".github/workflows/function-main.yml",
      ".github/workflows/function-worker.yml",
      ".github/workflows/function.yml",
      ".github/workflows/terraform.yml",
    ]);
  });

  it("passes the committed workflows: valid YAML, pinned actions, existing scripts", () => {
    expect(messages(checkWorkflows(workflows))).toEqual([]);
  });

  it("catches invalid YAML", () => {
    const found = messages(
      checkWorkflows([workflowFixture("invalid-yaml.txt", ".github/workflows/invalid.yml")]),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^\.github\/workflows\/invalid\.yml: not valid YAML/);
  });

  it("catches actions pinned to a tag (an exact version too) or a branch, and an image by tag", () => {
    const why = "not pinned to a commit SHA (an image to a sha256 digest); a tag can be moved";
    expect(messages(checkWorkflows([workflowFixture("unpinned-action.yml")]))).toEqual([
      `.github/workflows/unpinned-action.yml: job build: uses actions/checkout@v4: ${why}`,
      `.github/workflows/unpinned-action.yml: job build: uses actions/setup-node@main: ${why}`,
      `.github/workflows/unpinned-action.yml: job build: uses hashicorp/setup-terraform@v3.1.2: ${why}`,
      `.github/workflows/unpinned-action.yml: job build: uses docker://rhysd/actionlint:1.7.7: ${why}`,
    ]);
  });

  it("passes the committed workflows' CI roles", () => {
    expect(messages(checkCiRoles(readWorkflows()))).toEqual([]);
  });

  it("catches a pull request plan that borrows the deploy plan role (the old terraform.yml), and a deploy from any branch", () => {
    const planRole = "$" + "{{ vars.AWS_PLAN_ROLE_ARN }}";
    expect(
      messages(
        checkCiRoles([
          workflowFixture("pr-plan-deploy-role.yml", ".github/workflows/terraform.yml"),
          workflowFixture("deploy-any-branch.yml", ".github/workflows/deploy.yml"),
        ]),
      ),
    ).toEqual([
      `.github/workflows/terraform.yml: job plan: assumes a deploy role (${planRole}) outside .github/workflows/deploy-environment.yml`,
      ".github/workflows/terraform.yml: job plan: plans a pull request under a GitHub environment (its OIDC subject would be the environment's, not pull_request)",
      `.github/workflows/terraform.yml: job plan: plans a pull request with ${planRole}, not vars.AWS_PR_PLAN_ROLE_ARN`,
      ".github/workflows/terraform.yml: job plan: terraform plan -no-color -out=tfplan: a pull request's plan may not take the state lock (-lock=false)",
      ".github/workflows/deploy.yml: job prod: deploys an environment from any branch (no `if:` on refs/heads/main)",
    ]);
  });

  it("catches scripts that do not exist", () => {
    expect(messages(checkWorkflows([workflowFixture("missing-script.yml")]))).toEqual([
      ".github/workflows/missing-script.yml: job build: node scripts/deploy.mjs: no such file",
      ".github/workflows/missing-script.yml: job build: bash scripts/release.sh: no such file",
    ]);
  });

  it("catches package scripts that do not exist", () => {
    expect(messages(checkWorkflows([workflowFixture("unknown-pnpm-script.yml")]))).toEqual([
      ".github/workflows/unknown-pnpm-script.yml: job build: pnpm deploy: no such script",
      ".github/workflows/unknown-pnpm-script.yml: job build: pnpm bundle: no such script",
    ]);
  });

  it("catches a filter naming no workspace package and a turbo task that does not exist", () => {
    expect(messages(checkWorkflows([workflowFixture("unknown-package.yml")]))).toEqual([
      ".github/workflows/unknown-package.yml: job build: --filter @fanout/mian: no such workspace package",
      ".github/workflows/unknown-package.yml: job build: turbo run package: no such task in turbo.json",
    ]);
  });

  it("catches a reusable workflow that does not exist", () => {
    expect(messages(checkWorkflows([workflowFixture("missing-reusable.yml")]))).toEqual([
      ".github/workflows/missing-reusable.yml: job pipeline: uses ./.github/workflows/functions.yml: no such file",
    ]);
  });
});

describe("checkDeployPath", () => {
  it("passes the committed workflows: only deploy-environment.yml applies, and only its saved plan", () => {
    expect(messages(checkDeployPath(workflows))).toEqual([]);
  });

  it("catches a code update behind Terraform's back and an apply outside the deploy workflow", () => {
    expect(messages(checkDeployPath([workflowFixture("deploy-outside.yml")]))).toEqual([
      ".github/workflows/deploy-outside.yml: job deploy: aws lambda update-function-code: functions change only through Terraform",
      ".github/workflows/deploy-outside.yml: job deploy: terraform -chdir=terraform apply -auto-approve -var-file=environments/dev.tfvars.json: only .github/workflows/deploy-environment.yml applies Terraform",
    ]);
  });

  it("catches a deploy workflow that re-plans at apply time", () => {
    const wf = workflowFixture("deploy-outside.yml", ".github/workflows/deploy-environment.yml");
    expect(messages(checkDeployPath([wf]))).toContain(
      ".github/workflows/deploy-environment.yml: job deploy: terraform -chdir=terraform apply -auto-approve -var-file=environments/dev.tfvars.json: apply only the saved, approved plan file",
    );
  });
});

describe("workspaceClosure", () => {
  const pkg = (
    name: string,
    deps: Record<string, string>,
    devDeps: Record<string, string> = {},
  ): WorkspacePackage => ({
    name,
    dir: `packages/${name}`,
    json: { name, dependencies: deps, devDependencies: devDeps },
  });

  it("follows workspace dependencies of dependencies, and devDependencies, but not registry packages", () => {
    const packages = [
      pkg("fn", { a: "workspace:*", zod: "4.6.7" }, { tool: "workspace:*" }),
      pkg("a", { b: "workspace:^" }),
      pkg("b", { c: "workspace:*" }),
      pkg("c", {}),
      pkg("tool", {}),
      pkg("unrelated", { a: "workspace:*" }),
    ];
    expect(workspaceClosure("fn", packages).map((p) => p.name)).toEqual(["a", "b", "c", "tool"]);
  });
});

describe("checkPathFilters", () => {
  it("derives each function's filters from its package.json dependency closure", () => {
    const main = functions.find((f) => f.fanout.function === "main");
    expect(main && expectedPaths(main)).toContain("packages/queue/**");
    for (const fn of functions) {
      const paths = expectedPaths(fn);
      for (const dep of workspaceClosure(fn.name)) expect(paths).toContain(`${dep.dir}/**`);
      expect(paths).toContain("pnpm-lock.yaml");
    }
  });

  it("passes the committed callers: their filters are exactly each function's dependencies", () => {
    expect(messages(checkPathFilters(workflows, functions))).toEqual([]);
  });

  const withCaller = (fixture: string) =>
    workflows.map((w) =>
      w.path === ".github/workflows/function-main.yml" ? workflowFixture(fixture, w.path) : w,
    );

  it("catches a filter missing a dependency", () => {
    expect(messages(checkPathFilters(withCaller("function-main-missing-queue.yml"), functions))).toEqual([
      ".github/workflows/function-main.yml: on.push.paths misses packages/queue/**",
    ]);
  });

  it("catches a filter on a package the function does not depend on", () => {
    expect(messages(checkPathFilters(withCaller("function-main-extra-package.yml"), functions))).toEqual([
      ".github/workflows/function-main.yml: on.push.paths has packages/local-stack/**, which @fanout/main does not depend on",
      ".github/workflows/function-main.yml: on.pull_request.paths has packages/local-stack/**, which @fanout/main does not depend on",
    ]);
  });

  it("catches a caller that builds another function", () => {
    expect(messages(checkPathFilters(withCaller("function-main-wrong-function.yml"), functions))).toEqual([
      ".github/workflows/function-main.yml: does not call ./.github/workflows/function.yml with function: main",
    ]);
  });

  it("catches a missing caller", () => {
    const found = messages(
      checkPathFilters(
        workflows.filter((w) => !w.path.endsWith("function-worker.yml")),
        functions,
      ),
    );
    expect(found).toEqual([
      ".github/workflows/function-worker.yml: missing: no pipeline for functions/worker",
    ]);
  });
});

describe("checkDeployTriggers", () => {
  it("passes deploy.yml: it runs on exactly what the deployed functions and the stack depend on", () => {
    expect(messages(checkDeployTriggers(readWorkflows(), functionPackages()))).toEqual([]);
  });

  it("catches the old packages/** filter, which deployed every environment for a CLI or bench change", () => {
    const wf = readWorkflows().find((w) => w.path === ".github/workflows/deploy.yml");
    const source = String(wf?.source).replace(
      / {6}- "packages\/bundler\/\*\*"\n(?: {6}- "packages\/[a-z]+\/\*\*"\n)+/,
      '      - "packages/**"\n',
    );
    const found = messages(
      checkDeployTriggers([parseWorkflow(".github/workflows/deploy.yml", source)], functionPackages()),
    );
    expect(found).toContain(
      ".github/workflows/deploy.yml: on.push.paths has packages/**, which no deployed function depends on",
    );
    expect(found).toContain(".github/workflows/deploy.yml: on.push.paths misses packages/dedup/**");
  });
});
