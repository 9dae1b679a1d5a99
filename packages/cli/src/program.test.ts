import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "./program.ts";
import { noAwsContext, testIo } from "./testing.ts";

/** The CLI in-process, with a context that fails the test if anything reaches AWS. */
async function cli(args: string[], input = "") {
  const { io, stdout, stderr } = testIo(input);
  const code = await run(args, io, { createContext: noAwsContext });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const oneLine = (text: string) => text.trimEnd().split("\n");

describe("usage errors (exit 2, one line on stderr, nothing sent)", () => {
  it.each([
    [["status"], /missing required argument 'jobId'/],
    [["status", "j-1", "--bogus"], /unknown option '--bogus'.*fanout status --help/],
    [["status", "bad id!"], /jobId must be 1-64 characters/],
    [["status", "j-1", "--watch", "--interval", "0"], /--interval must be from 0.1/],
    [["failed", "list", "--max", "0"], /--max must be at least 1 .*fanout failed list --help/],
    [["failed", "list", "--max", "ten"], /--max must be a number/],
    [["failed", "redrive", "--max", "1.5"], /--max must be a whole number/],
    [["failed", "list", "--prefix", "UPPER"], /--prefix must be 3-32 characters/],
    [["invoke", "worker", "{not json"], /payload is not valid JSON/],
    [["results", "j-1", "--from", "-1"], /--from must be at least 0 .*fanout results --help/],
    [["results", "j-1", "--limit", "0"], /--limit must be at least 1/],
    [["results", "bad id!"], /jobId must be 1-64 characters/],
    [["cancel"], /missing required argument 'jobId'/],
    [["cancel", "j-1", "--force"], /unknown option '--force'/],
    [["jobs", "--limit", "1001"], /--limit must be at most 1000 .*fanout jobs --help/],
    [["jobs", "--after", "not a cursor!"], /--after must be a cursor printed by `fanout jobs`/],
    [["invoke", "worker", "{}", "extra"], /too many arguments/],
    [["nope"], /unknown command 'nope'/],
    [["submit"], /give a job file, - for stdin, or --source s3:\/\/bucket\/key .*fanout submit --help/],
    [["submit", "t.jsonl", "--max-concurrency", "0"], /--max-concurrency must be at least 1/],
    [["submit", "t.jsonl", "--max-concurrency", "1001"], /--max-concurrency must be at most 1000/],
    [["submit", "t.jsonl", "--tolerated-failures", "-1"], /--tolerated-failures must be at least 0/],
    [
      ["submit", "t.jsonl", "--tolerated-failure-percentage", "101"],
      /--tolerated-failure-percentage must be from 0 to 100/,
    ],
    [["submit", "t.jsonl", "--format", "csv"], /--format must be names or tasks/],
    [["submit", "t.jsonl", "--job-id", "bad id!"], /jobId must be 1-64 characters/],
    [["submit", "t.jsonl", "--bucket", "Bad_Bucket"], /--bucket must be an S3 bucket name/],
    [["submit", "--source", "s3:/b/k"], /--source must be an S3 URL like s3:\/\/bucket\/tasks\.jsonl/],
    [
      ["submit", "t.jsonl", "--source", "s3://bucket/k"],
      /give a job file or --source s3:\/\/\.\.\., not both/,
    ],
    [
      ["submit", "a.jsonl", "--source", "b.jsonl"],
      /--source takes an S3 URL \(s3:\/\/bucket\/key\), or no value/,
    ],
    [["submit", "--source", "s3://bucket/k", "--bucket", "other"], /--bucket is for uploads/],
  ])("%j", async (args, message) => {
    const out = await cli(args);
    expect(out.code).toBe(2);
    expect(oneLine(out.stderr)).toHaveLength(1);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(out.stdout).toBe("");
  });

  it("prints the help to stderr and exits 2 when no command is given", async () => {
    for (const args of [[], ["failed"]]) {
      const out = await cli(args);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/^Usage: fanout/);
      expect(out.stdout).toBe("");
    }
  });

  it("fanout help <command> prints that command's help, exit 0", async () => {
    const out = await cli(["help", "status"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: fanout status \[options\] <jobId>/);
  });
});

describe("--help", () => {
  it.each([
    [[]],
    [["submit"]],
    [["status"]],
    [["failed"]],
    [["failed", "list"]],
    [["failed", "redrive"]],
    [["invoke"]],
    [["results"]],
    [["cancel"]],
    [["jobs"]],
  ])("fanout %j --help prints usage and exit codes to stdout, exit 0", async (command) => {
    const out = await cli([...command, "--help"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`Usage: fanout${command.length ? ` ${command.join(" ")}` : ""}`));
    expect(out.stdout).toMatch(/--settings <path>/);
    expect(out.stderr).toBe("");
  });
});

describe("submit validates locally before anything is sent", () => {
  it("lists every bad entry by index and reason, exits 1, and never calls AWS", async () => {
    const out = await cli(
      ["submit", "-"],
      JSON.stringify({ names: [{ name: "ok" }, { name: "" }, {}, "x"] }),
    );
    expect(out.code).toBe(1);
    const lines = oneLine(out.stderr);
    expect(lines[0]).toBe("fanout: invalid job: 3 bad entries (3 problems); nothing was sent");
    expect(lines.slice(1)).toEqual([
      "  names[1]: name must not be empty",
      "  names[2]: name is missing",
      '  names[3]: entry must be an object like {"name": "..."}',
    ]);
  });

  it("lists every bad entry of a tasks-format job, and a bad option, by name", async () => {
    const out = await cli(
      ["submit", "-"],
      JSON.stringify({ tasks: [{ n: 1 }, "x".repeat(1_000_000), 2], maxConcurrency: 0 }),
    );
    expect(out.code).toBe(1);
    const lines = oneLine(out.stderr);
    expect(lines[0]).toBe("fanout: invalid job: 1 bad entry (2 problems); nothing was sent");
    expect(lines.slice(1)).toEqual([
      "  maxConcurrency: maxConcurrency must be a whole number from 1 to 1000",
      expect.stringMatching(
        /^ {2}tasks\[1\]: task is 1000002 bytes once JSON-escaped .* over the 917504-byte limit$/,
      ),
    ]);
  });

  it("reports a job that is not JSON, or a missing file, as one line with exit 1", async () => {
    const notJson = await cli(["submit", "-"], "{names:");
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(
      /^fanout: invalid job \(1 problem\); nothing was sent\n {2}job: job is not valid JSON/,
    );
    const missing = await cli(["submit", "/no/such/job.json"]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: "fanout: cannot read job file /no/such/job.json: no such file\n",
    });
  });

  it("refuses --format and --bucket for a job document (exit 2): they are for a tasks source", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fanout-cli-"));
    const doc = join(dir, "job.json");
    writeFileSync(doc, JSON.stringify({ names: [{ name: "A" }] }));
    for (const flag of [
      ["--format", "names"],
      ["--bucket", "my-bucket"],
    ]) {
      const out = await cli(["submit", doc, ...flag]);
      expect(out.code).toBe(2);
      expect(out.stderr).toBe(
        `fanout: ${flag[0]} is for a tasks source (.jsonl, .ndjson, a .json array, --source); ${doc} is a job document (see 'fanout submit --help')\n`,
      );
    }
  });

  it("checks every record of a tasks source before anything is uploaded; a bad option flag is a usage error for a job document too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fanout-cli-"));
    const source = join(dir, "t.ndjson");
    writeFileSync(source, `${'{"name":"A"}\n'.repeat(30)}{"name":7}\n[1]\n`);
    const bad = await cli(["submit", source]);
    expect(bad.code).toBe(1);
    expect(oneLine(bad.stderr)).toEqual([
      `fanout: invalid source ${source}: 2 bad lines of 32; nothing was uploaded`,
      expect.stringMatching(/^ {2}line 31: /),
      expect.stringMatching(/^ {2}line 32: /),
    ]);
    const tooMany = join(dir, "many.jsonl");
    writeFileSync(tooMany, "1\n".repeat(25));
    const many = await cli(["submit", tooMany, "--format", "names"]);
    expect(oneLine(many.stderr)).toHaveLength(22); // the summary, 20 bad lines, then how many more
    expect(oneLine(many.stderr).at(-1)).toBe("  ... and 5 more");
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "\n\n");
    expect((await cli(["submit", empty])).stderr).toBe(
      `fanout: invalid source ${empty}: it holds no tasks; nothing was uploaded\n`,
    );
    const doc = join(dir, "job.json");
    writeFileSync(doc, JSON.stringify({ names: [{ name: "A" }] }));
    const option = await cli([
      "submit",
      doc,
      "--max-concurrency",
      "5",
      "--tolerated-failure-percentage",
      "x",
    ]);
    expect(option.code).toBe(2);
  });

  it("checks an invoke payload file is JSON before invoking", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fanout-cli-"));
    writeFileSync(join(dir, "p.json"), "nope");
    const out = await cli(["invoke", "main", `@${join(dir, "p.json")}`]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/payload file .*p\.json is not valid JSON/);
    expect((await cli(["invoke", "main", "-"], "[1,")).stderr).toMatch(
      /payload from stdin is not valid JSON/,
    );
  });
});
