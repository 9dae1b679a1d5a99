import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export interface OpenedSource {
  /** The object's ETag: a later read with it fails if the object was replaced in between. */
  etag: string;
  /** Bytes from `fromByte` to the end. */
  bytes: number;
  body: AsyncIterable<Uint8Array>;
}

/** Where a read of the source must fail rather than read something else. */
export class SourceChangedError extends Error {
  constructor(url: string, options?: ErrorOptions) {
    super(`${url} changed while its job was being read; submit it again under a new jobId`, options);
    this.name = "SourceChangedError";
  }
}

/** No object at the source's URL (or no read access to it). */
export class SourceNotFoundError extends Error {
  constructor(url: string, options?: ErrorOptions) {
    super(`no object at ${url} (or this function may not read it)`, options);
    this.name = "SourceNotFoundError";
  }
}

/**
 * Opens an object for streaming, from `fromByte` on (a ranged GET) and, given `etag`, only if it is still
 * the same object (If-Match): a job is enqueued from exactly the bytes it was validated from.
 */
export async function openSource(
  s3: S3Client,
  source: { bucket: string; key: string },
  options: { etag?: string; fromByte?: number; signal?: AbortSignal } = {},
): Promise<OpenedSource> {
  const url = `s3://${source.bucket}/${source.key}`;
  try {
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        ...(options.etag === undefined ? {} : { IfMatch: options.etag }),
        ...(options.fromByte ? { Range: `bytes=${options.fromByte}-` } : {}),
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    if (!out.Body) throw new Error(`${url} has no body`);
    return {
      etag: out.ETag ?? "",
      bytes: out.ContentLength ?? 0,
      body: out.Body as AsyncIterable<Uint8Array>,
    };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 412) throw new SourceChangedError(url, { cause: error });
    // Without s3:ListBucket (main has none), S3 answers a missing key with 403, not 404.
    if (status === 404 || status === 403) throw new SourceNotFoundError(url, { cause: error });
    throw error;
  }
}
