import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { type LocalStack, localCredentials, startLocalResources } from "@fanout/emulators";
import { type LocalLambda, startLocalLambda } from "@fanout/local-lambda";
import { parseSettings } from "@fanout/tooling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/program.ts";
import { testIo } from "../src/testing.ts";

/**
 * `fanout submit` of a tasks source, against fauxqs' S3 (the input bucket `cli-src-input`, created by
 * startLocalResources) and the local Lambda service. `cli-src-main` is a stand-in for main: it answers as main
 * does for a source job that handed over (`{jobId, tasks, created, enqueued, handedOver}`) and echoes the
 * request it got as `received`, so the test sees exactly what the CLI sends. The real main reads a source
 * the CLI uploaded in e2e/cli.test.ts.
 */
const settings = parseSettings({ name_prefix: "cli-src" });
const bucket = "cli-src-input";
let local: LocalStack;
let lambda: LocalLambda;
let s3: S3Client;
let dir: string;
let settingsFile: string;

const standInMain = `export const handler = async (event) => ({
  jobId: event.jobId ?? "j-standin",
  tasks: 3,
  created: event.jobId !== "again",
  enqueued: 2,
  handedOver: true,
  received: event,
});
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fanout-cli-source-"));
  settingsFile = join(dir, "settings.json");
  writeFileSync(settingsFile, JSON.stringify({ name_prefix: "cli-src" }));
  const codeDir = join(dir, "main");
  mkdirSync(codeDir);
  writeFileSync(join(codeDir, "index.mjs"), standInMain);
  local = await startLocalResources({ settings });
  lambda = await startLocalLambda({
    port: 0,
    logDir: null,
    output: null,
    region: settings.aws_region,
    credentials: localCredentials,
    functions: [
      { name: "cli-src-main", codeDir, handler: "index.handler", memoryMb: 128, timeoutSeconds: 10 },
    ],
  });
  // The CLI reaches both through the SDK's standard settings, as it does the local stack.
  Object.assign(process.env, local.env(lambda.url));
  s3 = new S3Client({
    endpoint: local.env().AWS_ENDPOINT_URL_S3,
    region: settings.aws_region,
    credentials: localCredentials,
    forcePathStyle: true,
  });
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await lambda?.stop();
  await local?.stop();
});

async function fanout(args: string[], options: { input?: string; tty?: boolean } = {}) {
  const { io, stdout, stderr } = testIo(options.input ?? "", { tty: options.tty ?? false });
  const code = await run([...args, "--settings", settingsFile], io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

async function objectBytes(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function keys(): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key ?? "").sort();
}

describe("fanout submit of a tasks source", () => {
  it("uploads a .jsonl file under the sha256 of its bytes, then sends main the source with the flags", async () => {
    const text = '{"n":1}\n{"n":2}\n"any JSON"\n';
    const path = file("three.jsonl", text);
    const key = `uploads/${sha256(text)}.jsonl`;
    const out = await fanout([
      "submit",
      path,
      "--job-id",
      "src-1",
      "--max-concurrency",
      "5",
      "--tolerated-failures",
      "1",
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe(`uploaded ${path} (${text.length} B, 3 tasks) to s3://${bucket}/${key}\n`);
    expect(out.stdout).toBe(
      `submitted job src-1: 3 tasks from s3://${bucket}/${key} (maxConcurrency 5, toleratedFailureCount 1); 2 enqueued so far, main goes on with the rest\n`,
    );
    expect((await objectBytes(key)).toString("utf8")).toBe(text);

    const json = await fanout(["submit", path, "--job-id", "src-1", "--format", "tasks", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      jobId: "src-1",
      tasks: 3,
      created: true,
      enqueued: 2,
      handedOver: true,
      received: { jobId: "src-1", source: `s3://${bucket}/${key}`, format: "tasks" },
    });
    // The same bytes have the same key: found, not uploaded again.
    expect(json.stderr).toBe(
      `${path} (${text.length} B, 3 tasks) is already in s3://${bucket}/${key}: not uploaded again\n`,
    );
  });

  it("takes a .json file holding one array as a source (key .json), and a .json job document as before", async () => {
    const text = JSON.stringify([{ name: "Name1" }, { name: "Name2" }]);
    const path = file("names.json", `  ${text}`);
    const out = await fanout(["submit", path, "--tolerated-failure-percentage", "2.5"]);
    expect(out.code, out.stderr).toBe(0);
    const key = `uploads/${sha256(`  ${text}`)}.json`;
    expect(out.stderr).toContain(`(${text.length + 2} B, 2 names) to s3://${bucket}/${key}`);
    expect(out.stdout).toBe(
      `submitted job j-standin: 3 tasks from s3://${bucket}/${key} (toleratedFailurePercentage 2.5); 2 enqueued so far, main goes on with the rest\n`,
    );

    const doc = file("doc.json", JSON.stringify({ jobId: "again", names: [{ name: "A" }] }));
    const inline = await fanout(["submit", doc, "--max-concurrency", "3", "--json"]);
    expect(inline.code, inline.stderr).toBe(0);
    expect(inline.stderr).toBe("");
    expect(JSON.parse(inline.stdout).received).toEqual({
      jobId: "again",
      maxConcurrency: 3,
      names: [{ name: "A" }],
    });
  });

  it("streams a file larger than a part up in several parts, byte for byte, with a progress line on a terminal", async () => {
    const path = join(dir, "big.ndjson");
    const stream = createWriteStream(path);
    const line = `{"payload":"${"x".repeat(1000)}","i":`;
    for (let i = 0; i < 20_000; i += 1) stream.write(`${line}${i}}\n`);
    await new Promise<void>((resolve, reject) =>
      stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(2 * 8 * 1024 * 1024);
    const key = `uploads/${sha256(bytes)}.jsonl`;

    const out = await fanout(["submit", path, "--job-id", "big-1"], { tty: true });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain("\r\x1b[Kuploading big.ndjson: ");
    expect(out.stderr).toMatch(/uploading big\.ndjson: [\d.]+ MiB of 19\.\d MiB \(\d+%\)/);
    expect(out.stderr).toContain(`uploaded ${path} (19.`);
    expect(out.stderr).toContain(`20000 tasks) to s3://${bucket}/${key}\n`);
    const head = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ETag).toMatch(/-3"?$/); // three 8 MiB parts
    expect(sha256(await objectBytes(key))).toBe(sha256(bytes));
  }, 60_000);

  it("reads stdin as JSON Lines with --source, and submits an object already in S3 without uploading", async () => {
    const text = '{"name":"A"}\n{"name":"B"}\n';
    const piped = await fanout(["submit", "-", "--source", "--format", "names"], { input: text });
    expect(piped.code, piped.stderr).toBe(0);
    const key = `uploads/${sha256(text)}.jsonl`;
    expect(piped.stderr).toBe(`uploaded stdin (${text.length} B, 2 names) to s3://${bucket}/${key}\n`);
    expect(await objectBytes(key)).toEqual(Buffer.from(text));

    const before = await keys();
    const named = await fanout([
      "submit",
      "--source",
      `s3://${bucket}/${key}`,
      "--job-id",
      "named-1",
      "--json",
    ]);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stderr).toBe("");
    expect(JSON.parse(named.stdout).received).toEqual({ jobId: "named-1", source: `s3://${bucket}/${key}` });
    expect(await keys()).toEqual(before);
  });

  it("refuses a source with bad records, naming each by line, and uploads nothing", async () => {
    const before = await keys();
    const path = file("bad.jsonl", '{"name":"A"}\n\n{"name":""}\nnot json\n{"name":"B","x":1}\n');
    const out = await fanout(["submit", path]);
    expect(out.code).toBe(1);
    const lines = out.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`fanout: invalid source ${path}: 3 bad lines of 4; nothing was uploaded`);
    expect(lines.slice(1).map((l) => l.replace(/:.*/, ""))).toEqual(["  line 3", "  line 4", "  line 5"]);
    expect(out.stdout).toBe("");

    const layout = await fanout(["submit", file("object.json", '{"n":1}'), "--source"]);
    expect(layout.code).toBe(1);
    expect(layout.stderr).toMatch(/^fanout: invalid source .*object\.json: .*; nothing was uploaded\n$/);
    expect(await keys()).toEqual(before);
  });
});
