#!/usr/bin/env node
// Runs a command with the project's pinned toolchain, installing it on first use.
// Why: a fresh machine may have only an end-of-life Node and npm. The npm registry is the one
// source we can rely on, so the pinned Node (the `node` package) and pnpm are installed from it
// into .tools/ — nothing global, nothing by hand. Plain JS so that any Node >= 18 can start it.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tools = join(root, ".tools");
const toolsBin = join(tools, "node_modules", ".bin");
const wantNode = readFileSync(join(root, ".nvmrc"), "utf8").trim();
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const wantPnpm = String(pkg.packageManager).replace(/^pnpm@/, "");
const quiet = { stdio: ["ignore", "ignore", "inherit"] };

function say(line) {
  process.stderr.write(`[toolchain] ${line}\n`);
}

function versionOf(cmd, env) {
  try {
    return execFileSync(cmd, ["--version"], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

function npmInstallTool(spec) {
  say(`installing ${spec} into .tools/ from the npm registry`);
  mkdirSync(tools, { recursive: true });
  if (!existsSync(join(tools, "package.json")))
    writeFileSync(join(tools, "package.json"), '{"private":true}\n');
  execFileSync(
    "npm",
    ["install", "--prefix", tools, "--no-audit", "--no-fund", "--loglevel=error", spec],
    quiet,
  );
}

// 1. Node: re-exec under the pinned major when the current one differs.
if (process.versions.node.split(".")[0] !== wantNode.split(".")[0]) {
  const localNode = join(toolsBin, "node");
  if (versionOf(localNode) !== `v${wantNode}`) npmInstallTool(`node@${wantNode}`);
  if (versionOf(localNode) !== `v${wantNode}`) {
    say(`could not install Node ${wantNode}; install it yourself (see .nvmrc) and run again`);
    process.exit(1);
  }
  const r = spawnSync(localNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}

const env = {
  ...process.env,
  PATH: [toolsBin, dirname(process.execPath), join(root, "node_modules", ".bin"), process.env.PATH].join(
    delimiter,
  ),
  TURBO_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
};

// 2. pnpm at the version named by packageManager.
if (versionOf("pnpm", env) !== wantPnpm) {
  npmInstallTool(`pnpm@${wantPnpm}`);
  if (versionOf("pnpm", env) !== wantPnpm) {
    say(`pnpm ${wantPnpm} is not the one on PATH after install; check .tools/`);
    process.exit(1);
  }
}

// 3. Dependencies, when the lockfile or a manifest changed since the last install.
const manifests = [
  join(root, "pnpm-lock.yaml"),
  join(root, "pnpm-workspace.yaml"),
  join(root, "package.json"),
];
const stamp = join(root, "node_modules", ".fanout-install-stamp");
const hash = createHash("sha256");
for (const f of manifests) if (existsSync(f)) hash.update(readFileSync(f));
const digest = `${hash.digest("hex")} node-${process.versions.node}`;
if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== digest) {
  // CI installs exactly the lockfile; a developer's run may update it after a manifest edit.
  const installArgs = process.env.CI ? ["install", "--frozen-lockfile"] : ["install"];
  say(`installing dependencies (pnpm ${installArgs.join(" ")})`);
  const r = spawnSync("pnpm", installArgs, { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, digest);
}

// 4. The command itself.
const [cmd, ...args] = process.argv.slice(2);
if (!cmd) process.exit(0);
const r = spawnSync(cmd, args, { cwd: process.cwd(), env, stdio: "inherit" });
if (r.error) {
  say(`${cmd}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal ? 1 : 0));
