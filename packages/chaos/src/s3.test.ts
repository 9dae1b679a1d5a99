import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ClientOptions, SourceLayout } from "@fanout/core";
import {
  checkSource,
  createS3Client,
  openSource,
  readRecords,
  type S3Client,
  SourceChangedError,
  SourceNotFoundError,
} from "@fanout/source";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type Answer, type CallFault, type CallInfo, SimNetwork, simEndpoints } from "./network.ts";
import { Prng } from "./prng.ts";
import { parseRange, S3Model, type S3ModelOptions } from "./s3.ts";
import { World } from "./world.ts";

const START = Date.UTC(2026, 0, 1);
const bucket = "input-bucket";
// Multi-byte characters, so that byte offsets and character offsets differ.
const lines = ['{"name":"é-1"}', '{"name":"ü-2"}', '{"name":"3"}', '{"name":"4"}'];
const text = `${lines.join("\n")}\n`;

interface Sim {
  world: World;
  model: S3Model;
  network: SimNetwork;
  /** The S3 client main gets: path-style, since the endpoint is overridden. */
  s3: S3Client;
  /** Every answer the model gave, in order. */
  answers: { operation: string; answer: Answer }[];
  /** Faults to inject, one per S3 call in order; later calls get none. */
  faults: CallFault[];
}

let sim: Sim | undefined;

function simulate(options: S3ModelOptions = {}): Sim {
  const world = new World(START, new Prng(1), new Prng(2));
  const model = new S3Model(world, options);
  const answers: Sim["answers"] = [];
  const faults: CallFault[] = [];
  const network = new SimNetwork(
    world,
    { s3: model },
    () => faults.shift() ?? { kind: "none" },
    () => {},
    (info: CallInfo, answer: Answer) => answers.push({ operation: info.operation, answer }),
  );
  const s3 = createS3Client({ requestHandler: network.handler("s3") });
  sim = { world, model, network, s3, answers, faults };
  return sim;
}

/** Runs `fn` as one process in the world until it settles; returns its result or throws its error. */
async function inWorld<T>(world: World, fn: () => Promise<T>): Promise<T> {
  let settled = false;
  const { result } = world.spawn("main", "reader", fn);
  const outcome = result.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void outcome.then(() => {
    settled = true;
  });
  const end = await world.run({
    done: () => settled,
    horizonMs: world.now() + 3_600_000,
    decide: (call) => call.process("deliver"),
  });
  expect(end).toBe("done");
  const out = await outcome;
  if (!out.ok) throw out.error;
  return out.value;
}

/** Reads a source the way main's enqueue step does: opened (ranged, pinned), then split into records. */
async function readSource(
  s3: S3Client,
  key: string,
  options: { etag?: string; fromByte?: number } = {},
  layout: SourceLayout = "lines",
) {
  const opened = await openSource(s3, { bucket, key }, options);
  const records: { text: string; end: number }[] = [];
  for await (const r of readRecords(opened.body, layout, {
    maxRecordBytes: 1024,
    offset: options.fromByte ?? 0,
  }))
    records.push({ text: r.text, end: r.end });
  return { etag: opened.etag, bytes: opened.bytes, records };
}

beforeAll(async () => {
  // A client's first request reads the shared config files (real I/O, cached for the process), which the
  // world's run loop would not wait for; explore does it with the emulator's client before any schedule.
  vi.stubEnv("AWS_ENDPOINT_URL_S3", simEndpoints.s3);
  const answer404 = {
    handle: async () => ({ response: { statusCode: 404, headers: {}, body: Readable.from([]) } }),
  } as unknown as ClientOptions["requestHandler"];
  await openSource(createS3Client({ requestHandler: answer404 }), { bucket, key: "warm-up" }).catch(() => {});
  vi.unstubAllEnvs();
});

beforeEach(() => {
  // The endpoint main gets on the local stack: createS3Client then asks for path-style requests.
  vi.stubEnv("AWS_ENDPOINT_URL_S3", simEndpoints.s3);
});

afterEach(() => {
  sim?.world.dispose();
  sim = undefined;
  vi.unstubAllEnvs();
});

describe("S3 model", () => {
  it("serves a whole object path-style and virtual-host style, with its ETag and length, to checkSource", async () => {
    const { world, model, network, s3, answers } = simulate();
    const { etag } = model.put(bucket, "jobs/a b.jsonl", text);
    expect(etag).toBe(`"${createHash("md5").update(text).digest("hex")}"`);
    // No endpoint in its environment: createS3Client leaves the SDK's virtual-host style (<bucket>.s3.sim).
    const virtualHost = createS3Client({ requestHandler: network.handler("s3") }, {});
    for (const client of [s3, virtualHost]) {
      const read = await inWorld(world, () => readSource(client, "jobs/a b.jsonl"));
      expect(read).toEqual({
        etag,
        bytes: Buffer.byteLength(text),
        records: lines.map((l, i) => ({
          text: l,
          end: Buffer.byteLength(lines.slice(0, i + 1).join("\n")) + 1,
        })),
      });
    }
    const checked = await inWorld(world, async () => {
      const opened = await openSource(s3, { bucket, key: "jobs/a b.jsonl" });
      return checkSource(opened.body, "lines", undefined);
    });
    expect(checked).toMatchObject({
      tasks: 4,
      format: "names",
      bad: 0,
      bytes: Buffer.byteLength(text),
      sha256: createHash("sha256").update(text).digest("hex"),
    });
    expect(model.reads.map((r) => [r.bucket, r.key, r.status])).toEqual([
      [bucket, "jobs/a b.jsonl", 200],
      [bucket, "jobs/a b.jsonl", 200],
      [bucket, "jobs/a b.jsonl", 200],
    ]);
    expect(answers.map((a) => a.operation)).toEqual(["GetObject", "GetObject", "GetObject"]);
  });

  it("answers a ranged read from a byte offset with 206, Content-Range and the rest of the object", async () => {
    const { world, model, s3, answers } = simulate();
    const { etag } = model.put(bucket, "k.jsonl", text);
    const from = Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`);
    const read = await inWorld(world, () => readSource(s3, "k.jsonl", { etag, fromByte: from }));
    expect(read.records.map((r) => r.text)).toEqual(lines.slice(2));
    expect(read.records.at(-1)?.end).toBe(Buffer.byteLength(text));
    expect(read.bytes).toBe(Buffer.byteLength(text) - from);
    expect(answers[0]?.answer.status).toBe(206);
    expect(answers[0]?.answer.headers).toMatchObject({
      "content-range": `bytes ${from}-${Buffer.byteLength(text) - 1}/${Buffer.byteLength(text)}`,
      "content-length": String(Buffer.byteLength(text) - from),
      etag,
    });
    expect(model.reads[0]).toMatchObject({ range: `bytes=${from}-`, ifMatch: etag, status: 206 });
  });

  it("reads with If-Match while the ETag is current, and fails with SourceChangedError once the object was replaced", async () => {
    const { world, model, s3 } = simulate();
    const { etag } = model.put(bucket, "k.jsonl", text);
    const first = await inWorld(world, () => readSource(s3, "k.jsonl", { etag, fromByte: 15 }));
    expect(first.records.map((r) => r.text)).toEqual(lines.slice(1));
    const replaced = model.replace(bucket, "k.jsonl", `${text}{"name":"5"}\n`);
    expect(replaced.etag).not.toBe(etag);
    const stale = inWorld(world, () => readSource(s3, "k.jsonl", { etag, fromByte: 15 }));
    await expect(stale).rejects.toBeInstanceOf(SourceChangedError);
    // Unpinned, the new object is read whole.
    const fresh = await inWorld(world, () => readSource(s3, "k.jsonl"));
    expect(fresh).toMatchObject({ etag: replaced.etag, records: { length: 5 } });
    expect(model.reads.map((r) => r.status)).toEqual([206, 412, 200]);
  });

  it("answers a missing key with 403 AccessDenied without s3:ListBucket (main's role), 404 NoSuchKey with it: both SourceNotFoundError", async () => {
    for (const listBucket of [false, true]) {
      const { world, model, s3, answers } = simulate({ listBucket });
      model.createBucket(bucket);
      await expect(inWorld(world, () => readSource(s3, "missing.jsonl"))).rejects.toBeInstanceOf(
        SourceNotFoundError,
      );
      const [answer] = answers;
      expect(answer?.answer.status).toBe(listBucket ? 404 : 403);
      expect(answer?.answer.body).toContain(
        listBucket ? "<Code>NoSuchKey</Code>" : "<Code>AccessDenied</Code>",
      );
      world.dispose();
    }
  });

  it("answers a bucket that does not exist with 404 NoSuchBucket (SourceNotFoundError)", async () => {
    const { world, s3, answers } = simulate();
    await expect(inWorld(world, () => readSource(s3, "k.jsonl"))).rejects.toBeInstanceOf(SourceNotFoundError);
    expect(answers[0]?.answer.body).toContain("<Code>NoSuchBucket</Code>");
  });

  it("answers a range from the object's end with 416 InvalidRange, which openSource passes on unmapped", async () => {
    const { world, model, s3 } = simulate();
    const { etag } = model.put(bucket, "k.jsonl", text);
    const past = inWorld(world, () => readSource(s3, "k.jsonl", { etag, fromByte: Buffer.byteLength(text) }));
    await expect(past).rejects.toMatchObject({ name: "InvalidRange", $metadata: { httpStatusCode: 416 } });
  });

  it("has the SDK retry a 503 SlowDown and a 500 InternalError, and give up with SlowDown after its 3 attempts", async () => {
    const { world, model, s3, answers, faults } = simulate();
    model.put(bucket, "k.jsonl", text);
    faults.push({ kind: "throttle" }, { kind: "server" });
    const read = await inWorld(world, () => readSource(s3, "k.jsonl"));
    expect(read.records).toHaveLength(4);
    expect(faults).toEqual([]);
    // The faulted calls never reached the model; the third attempt did.
    expect(model.reads).toHaveLength(1);
    expect(answers).toHaveLength(1);

    faults.push({ kind: "throttle" }, { kind: "throttle" }, { kind: "throttle" });
    await expect(inWorld(world, () => readSource(s3, "k.jsonl"))).rejects.toMatchObject({
      name: "SlowDown",
      $metadata: { httpStatusCode: 503, attempts: 3 },
    });
    expect(model.reads).toHaveLength(1);
  });

  it("reads one bytes= range as S3 does: clipped at the end, 416 from the end on, ignored when malformed", () => {
    expect(parseRange("bytes=3-", 10)).toEqual([3, 9]);
    expect(parseRange("bytes=3-5", 10)).toEqual([3, 5]);
    expect(parseRange("bytes=3-50", 10)).toEqual([3, 9]);
    expect(parseRange("bytes=-4", 10)).toEqual([6, 9]);
    expect(parseRange("bytes=-40", 10)).toEqual([0, 9]);
    expect(parseRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-3", 10)).toBeUndefined();
    expect(parseRange("bytes=1-2,4-5", 10)).toBeUndefined();
    expect(parseRange("items=1-2", 10)).toBeUndefined();
  });

  it("refuses what main never sends with 501 NotImplemented", async () => {
    const model = simulate().model;
    const answer = await model.serve({
      operation: "PutObject",
      path: `/${bucket}/k`,
      headers: {},
      body: "x",
    });
    expect(answer.status).toBe(501);
    expect(answer.body).toContain("<Code>NotImplemented</Code>");
  });
});
