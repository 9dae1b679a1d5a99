import { describe, expect, it } from "vitest";
import { runBin } from "./testing.ts";

const closedPort = {
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "x",
  AWS_SECRET_ACCESS_KEY: "x",
};

describe("the fanout binary", () => {
  it("prints help for every command with exit 0", async () => {
    for (const command of [
      [],
      ["submit"],
      ["status"],
      ["failed"],
      ["failed", "list"],
      ["failed", "redrive"],
      ["invoke"],
    ]) {
      const out = await runBin([...command, "--help"]);
      expect(out.code, command.join(" ")).toBe(0);
      expect(out.stdout).toMatch(/^Usage: fanout/);
      expect(out.stdout).toMatch(/Exit codes:/);
    }
  });

  it("answers a bad flag with one line on stderr and exit 2", async () => {
    const out = await runBin(["failed", "list", "--max", "-3"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe("fanout: --max must be at least 1 (see 'fanout failed list --help')\n");
    expect(out.stdout).toBe("");
  });

  it("reports an unreachable endpoint as one clear line and exit 1, without a stack trace", async () => {
    const out = await runBin(["status", "j-1"], closedPort);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^fanout: cannot reach the AWS endpoint \(ECONNREFUSED.*\n$/);
  });

  it("reports a missing settings file as one line and exit 1", async () => {
    const out = await runBin(["status", "j-1", "--settings", "/no/such/settings.json"], closedPort);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^fanout: cannot use settings: invalid settings file \/no\/such\/settings\.json.*ENOENT.*\n$/,
    );
  });
});
