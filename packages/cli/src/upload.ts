import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { jobLimits, type SourceLayout, type TaskFormat } from "@fanout/core";
import { checkSource } from "@fanout/source";
import type { CliContext } from "./context.ts";
import { CliError, describeError } from "./errors.ts";
import type { Output } from "./io.ts";
import { printable, truncate } from "./output.ts";

/** Bad records a refused source lists (it counts all of them). */
const maxListedIssues = 20;
/** Multipart part size: at most `queueSize` parts are held in memory at once. */
const partSize = 8 * 1024 * 1024;
const queueSize = 4;

/**
 * Whether a local job file is a tasks source, and how its records are laid out: `.jsonl` and `.ndjson` are
 * JSON Lines, a `.json` file whose first character is `[` is one JSON array, and with `--source` any file
 * is one (a `.json` file an array, any other JSON Lines). Otherwise it is a job document (undefined).
 */
export function sourceLayoutOf(path: string, firstChar: string | undefined, sourceFlag: boolean) {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "lines";
  if (ext === ".json" && (sourceFlag || firstChar === "[")) return "array";
  if (sourceFlag) return "lines";
  return undefined;
}

/** The first character that is not JSON whitespace, read from the file's first 64 KiB. */
export async function firstCharOf(path: string): Promise<string | undefined> {
  const handle = await open(path, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(65_536), 0, 65_536, 0);
    return /[^ \t\r\n]/.exec(buffer.toString("utf8", 0, bytesRead))?.[0];
  } finally {
    await handle.close();
  }
}

/** A local tasks source, checked: its content address and what it holds. */
export interface CheckedSource {
  path: string;
  layout: SourceLayout;
  sha256: string;
  bytes: number;
  tasks: number;
  format: TaskFormat;
}

/**
 * Reads the file once, streaming: its sha256 and size, and every record checked as `main` checks it
 * (`checkSourceRecord`, the format given or decided by the first record). A source with a bad record is
 * refused whole before anything is uploaded, each bad record named by line (or array element).
 */
export async function checkSourceFile(
  path: string,
  layout: SourceLayout,
  format: TaskFormat | undefined,
  progress: Progress,
): Promise<CheckedSource> {
  const total = (await stat(path)).size;
  const what = layout === "lines" ? "line" : "element";
  const checked = await checkSource(
    createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Uint8Array>,
    layout,
    format,
    {
      maxReported: maxListedIssues,
      onProgress: (tasks, bytes) =>
        progress.show(`checking ${basename(path)}: ${tasks} tasks, ${sizeText(bytes)} of ${sizeText(total)}`),
    },
  ).finally(() => progress.done());
  const { tasks, bad } = checked;
  if (checked.layoutError !== undefined)
    throw new CliError(`invalid source ${path}: ${checked.layoutError}; nothing was uploaded`);
  if (bad > 0) {
    const issues = checked.issues.map((i) => `  ${what} ${i.at}: ${printable(truncate(i.reason, 200))}`);
    const more = bad > issues.length ? [`  ... and ${bad - issues.length} more`] : [];
    throw new CliError(
      `invalid source ${path}: ${bad} bad ${what}${bad === 1 ? "" : "s"} of ${tasks}; nothing was uploaded`,
      { details: [...issues, ...more] },
    );
  }
  if (tasks === 0) throw new CliError(`invalid source ${path}: it holds no tasks; nothing was uploaded`);
  if (checked.tooMany) {
    throw new CliError(
      `invalid source ${path}: over the ${jobLimits.maxSourceTasks} tasks a job may have; nothing was uploaded`,
    );
  }
  return { path, layout, sha256: checked.sha256, bytes: checked.bytes, tasks, format: checked.format };
}

/** The content-addressed key of a source: the same bytes always get the same key (and one upload). */
export function uploadKeyOf(source: Pick<CheckedSource, "sha256" | "layout">): string {
  return `uploads/${source.sha256}.${source.layout === "array" ? "json" : "jsonl"}`;
}

/**
 * Uploads the file under its content-addressed key, streaming (multipart over 8 MiB, at most four parts in
 * memory), unless an object of that size is already there: the key names the bytes, so it is the same
 * file. Returns whether it uploaded.
 */
export async function uploadSource(
  s3: S3Client,
  bucket: string,
  source: CheckedSource,
  progress: Progress,
): Promise<boolean> {
  const key = uploadKeyOf(source);
  if ((await existingSize(s3, bucket, key)) === source.bytes) return false;
  const name = basename(source.path);
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: createReadStream(source.path),
      ContentLength: source.bytes,
      ContentType: source.layout === "array" ? "application/json" : "application/x-ndjson",
      Metadata: { sha256: source.sha256 },
    },
    partSize,
    queueSize,
    leavePartsOnError: false,
  });
  upload.on("httpUploadProgress", (p) => {
    const loaded = p.loaded ?? 0;
    progress.show(
      `uploading ${name}: ${sizeText(loaded)} of ${sizeText(source.bytes)} (${source.bytes ? Math.floor((loaded * 100) / source.bytes) : 100}%)`,
    );
  });
  try {
    await upload.done();
  } catch (error) {
    throw new CliError(`cannot upload ${source.path} to s3://${bucket}/${key}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    progress.done();
  }
  return true;
}

/** The size of the object at `key`, or undefined when there is none (or it cannot be read: upload then). */
async function existingSize(s3: S3Client, bucket: string, key: string): Promise<number | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || status === 403) return undefined;
    throw new CliError(`cannot reach bucket ${bucket}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * The bucket uploads go to: `--bucket`; on the local stack (an S3 endpoint set) the settings' name,
 * `<prefix>-input`; on AWS the bucket `main` reads sources from, its `INPUT_BUCKET` (Terraform adds a unique
 * suffix to the name, so it cannot be derived from the prefix).
 */
export async function inputBucketOf(
  ctx: Pick<CliContext, "names" | "lambda">,
  bucketFlag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (bucketFlag) return bucketFlag;
  if (env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) return ctx.names.inputBucket;
  const hint = "give --bucket (e.g. --bucket $(terraform -chdir=terraform output -raw input_bucket))";
  let bucket: string | undefined;
  try {
    const config = await ctx.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: ctx.names.mainFunction }),
    );
    bucket = config.Environment?.Variables?.INPUT_BUCKET;
  } catch (error) {
    throw new CliError(
      `cannot read ${ctx.names.mainFunction}'s INPUT_BUCKET (${describeError(error)}); ${hint}`,
      { cause: error },
    );
  }
  if (!bucket)
    throw new CliError(`${ctx.names.mainFunction} has no INPUT_BUCKET, so it takes no sources; ${hint}`);
  return bucket;
}

/**
 * Copies stdin to a temporary file (streaming), so a source read from `-` can be hashed and uploaded like
 * a file; `remove()` deletes it.
 */
export async function spoolStdin(
  stdin: NodeJS.ReadableStream,
): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "fanout-submit-"));
  const path = join(dir, "stdin.jsonl");
  await pipeline(stdin, createWriteStream(path));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** One progress line, redrawn in place on a terminal; nothing elsewhere (CI logs, pipes). */
export interface Progress {
  show(text: string): void;
  done(): void;
}

export function progressLine(out: Output, intervalMs = 100): Progress {
  let last = 0;
  let shown = false;
  return {
    show(text) {
      if (!out.isTTY) return;
      const now = Date.now();
      if (shown && now - last < intervalMs) return;
      last = now;
      shown = true;
      out.write(`\r\x1b[K${text}`);
    },
    done() {
      if (shown) out.write("\r\x1b[K");
      shown = false;
    },
  };
}

/** 1536 → "1.5 KiB". */
export function sizeText(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
