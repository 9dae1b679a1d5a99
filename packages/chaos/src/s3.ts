import { createHash } from "node:crypto";
import type { Answer, Request, Service } from "./network.ts";
import type { World } from "./world.ts";

/** One stored object. */
export interface S3Object {
  body: Buffer;
  /** Quoted, as S3 sends it: the MD5 of the bytes (a single-part upload's ETag). */
  etag: string;
  contentType: string;
  lastModifiedMs: number;
}

/** One GetObject the model answered (faults injected before it reached the model are not here). */
export interface S3Read {
  bucket: string;
  key: string;
  status: number;
  range?: string;
  ifMatch?: string;
  atMs: number;
}

export interface S3ModelOptions {
  /**
   * Whether the caller may list the bucket (s3:ListBucket). Without it S3 answers a missing key with 403
   * AccessDenied rather than 404 NoSuchKey, so as not to tell that the key does not exist. `main`'s role has
   * s3:GetObject on the input bucket's objects only. @default false
   */
  listBucket?: boolean;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const etagOf = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;
const unquote = (etag: string) => etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");

/**
 * S3 as `@fanout/source`'s `openSource` uses it: GetObject (REST-XML, path-style or virtual-host style) with
 * `Range: bytes=…` (206 and Content-Range; 416 InvalidRange past the end) and `If-Match` (412
 * PreconditionFailed once the object was replaced), a missing key answered 403 or 404 as S3 does. Objects
 * are put by the test set-up (the CLI uploads them, not the code under test); nothing else is served.
 */
export class S3Model implements Service {
  readonly name = "s3" as const;
  readonly objects = new Map<string, S3Object>();
  readonly reads: S3Read[] = [];
  private readonly buckets = new Set<string>();
  private next = 0;
  private readonly world: World;
  private readonly listBucket: boolean;

  constructor(world: World, options: S3ModelOptions = {}) {
    this.world = world;
    this.listBucket = options.listBucket ?? false;
  }

  createBucket(bucket: string): void {
    this.buckets.add(bucket);
  }

  /** Stores an object (creating its bucket), as an upload finished before the code under test runs. */
  put(
    bucket: string,
    key: string,
    body: string | Buffer,
    contentType = "application/octet-stream",
  ): { etag: string } {
    const bytes = Buffer.from(body);
    const object: S3Object = {
      body: bytes,
      etag: etagOf(bytes),
      contentType,
      lastModifiedMs: this.world.now(),
    };
    this.buckets.add(bucket);
    this.objects.set(`${bucket}/${key}`, object);
    return { etag: object.etag };
  }

  /**
   * Overwrites an existing object (someone uploaded again between two reads). Its ETag changes with its
   * bytes; the same bytes keep the same ETag, as on S3.
   */
  replace(bucket: string, key: string, body: string | Buffer): { etag: string } {
    const old = this.objects.get(`${bucket}/${key}`);
    if (!old) throw new Error(`s3 model: no object s3://${bucket}/${key} to replace`);
    return this.put(bucket, key, body, old.contentType);
  }

  /** Deletes an object (the source removed between two reads). */
  remove(bucket: string, key: string): void {
    this.objects.delete(`${bucket}/${key}`);
  }

  errorAnswer(kind: "throttle" | "server"): Answer {
    return kind === "throttle"
      ? this.error(503, "SlowDown", "Please reduce your request rate.")
      : this.error(500, "InternalError", "We encountered an internal error. Please try again.");
  }

  async serve(request: Request): Promise<Answer> {
    if (request.operation !== "GetObject")
      return this.error(
        501,
        "NotImplemented",
        `the simulation serves GetObject only, not ${request.operation}`,
      );
    const { bucket, key } = locate(request);
    const range = request.headers.range;
    const ifMatch = request.headers["if-match"];
    const answer = this.get(bucket, key, range, ifMatch);
    this.reads.push({
      bucket,
      key,
      status: answer.status,
      ...(range === undefined ? {} : { range }),
      ...(ifMatch === undefined ? {} : { ifMatch }),
      atMs: this.world.now(),
    });
    return answer;
  }

  private get(bucket: string, key: string, range: string | undefined, ifMatch: string | undefined): Answer {
    if (!this.buckets.has(bucket))
      return this.error(404, "NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object)
      return this.listBucket
        ? this.error(404, "NoSuchKey", "The specified key does not exist.", { Key: key })
        : this.error(403, "AccessDenied", "Access Denied");
    // S3 evaluates If-Match before the range.
    if (ifMatch !== undefined && unquote(ifMatch) !== "*" && unquote(ifMatch) !== unquote(object.etag))
      return this.error(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        {
          Condition: "If-Match",
        },
      );
    const size = object.body.length;
    const headers = {
      etag: object.etag,
      "last-modified": new Date(object.lastModifiedMs).toUTCString(),
      "accept-ranges": "bytes",
      "content-type": object.contentType,
      "x-amz-request-id": this.requestId(),
    };
    const span = range === undefined ? undefined : parseRange(range, size);
    if (span === "unsatisfiable")
      return this.error(
        416,
        "InvalidRange",
        "The requested range is not satisfiable",
        { RangeRequested: range ?? "", ActualObjectSize: String(size) },
        { "content-range": `bytes */${size}` },
      );
    if (span === undefined)
      return {
        status: 200,
        headers: { ...headers, "content-length": String(size) },
        body: "",
        bytes: object.body,
      };
    const [first, last] = span;
    return {
      status: 206,
      headers: {
        ...headers,
        "content-length": String(last - first + 1),
        "content-range": `bytes ${first}-${last}/${size}`,
      },
      body: "",
      bytes: object.body.subarray(first, last + 1),
    };
  }

  private requestId(): string {
    return `S3SIM${(this.next++).toString(16).padStart(11, "0").toUpperCase()}`;
  }

  private error(
    status: number,
    code: string,
    message: string,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Answer {
    const id = this.requestId();
    const extra = Object.entries(fields)
      .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
      .join("");
    return {
      status,
      headers: { "content-type": "application/xml", "x-amz-request-id": id, ...headers },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${extra}<RequestId>${id}</RequestId><HostId>sim</HostId></Error>`,
    };
  }
}

/**
 * Bucket and key of a request: virtual-host style names the bucket in the host (`<bucket>.s3.sim`,
 * `<bucket>.s3.<region>.amazonaws.com`), path-style in the first path segment (`s3.sim/<bucket>/<key>`).
 */
export function locate(request: Pick<Request, "path" | "headers">): { bucket: string; key: string } {
  const host = (request.headers.host ?? "").replace(/:\d+$/, "");
  const path = request.path.replace(/^\//, "");
  const virtual = /^(.+)\.s3[.-]/.exec(host);
  if (virtual?.[1]) return { bucket: virtual[1], key: decodeURIComponent(path) };
  const slash = path.indexOf("/");
  return slash === -1
    ? { bucket: decodeURIComponent(path), key: "" }
    : { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
}

/**
 * One `bytes=` range as inclusive offsets. A header that is not one well-formed range is ignored (the whole
 * object, 200), as S3 does; a range that starts at or past the end (or any range of an empty object) is 416.
 */
export function parseRange(header: string, size: number): [number, number] | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? "unsatisfiable" : [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < first) return undefined;
  if (first >= size) return "unsatisfiable";
  return [first, m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)];
}
