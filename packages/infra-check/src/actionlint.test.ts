import { describe, expect, it } from "vitest";
import { checkActionlint } from "./actionlint.ts";
import { messages, workflowFixture } from "./testing.ts";
import { readWorkflows } from "./workflows.ts";

// Compiling the 7 MB WebAssembly module takes 1-2 s alone, more on a loaded machine.
describe("actionlint", { timeout: 60_000 }, () => {
  it("finds nothing wrong with the committed workflows", async () => {
    expect(messages(await checkActionlint(readWorkflows()))).toEqual([]);
  });

  it("reports a misspelled action input and a step output that no step sets", async () => {
    expect(messages(await checkActionlint([workflowFixture("actionlint-broken.yml")]))).toEqual([
      '.github/workflows/actionlint-broken.yml:10:11: input "fetch-deep" is not defined in action "actions/checkout@v4". available inputs are "clean", "fetch-depth", "fetch-tags", "filter", "github-server-url", "lfs", "path", "persist-credentials", "ref", "repository", "set-safe-directory", "show-progress", "sparse-checkout", "sparse-checkout-cone-mode", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "submodules", "token" [action]',
      '.github/workflows/actionlint-broken.yml:11:24: property "missing" is not defined in object type {} [expression]',
    ]);
  });
});
