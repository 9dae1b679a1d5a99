import type { buildApp } from "fauxqs";
import { waitFullLongPolls } from "./fauxqs-long-poll.ts";

/**
 * Corrections to fauxqs 2.4.1, applied through modules its `exports` map hides (imported by file URL,
 * so we get the very module instances fauxqs' own code uses). Each one is pinned by a conformance test that
 * fails if a fauxqs upgrade moves or changes what is patched. See docs/decisions/0300-local-emulators.md.
 *
 * 1. Queue URLs. fauxqs' store defaults to `host = "localhost"` and then names queues
 *    `http://sqs.<region>.localhost:<port>/000000000000/<name>`. That host does not resolve on every machine
 *    (glibc does not resolve `*.localhost`), and the SDK's SQS client, when its endpoint comes from
 *    `AWS_ENDPOINT_URL_SQS` rather than the constructor, sends requests to the QueueUrl's host. With an
 *    empty host fauxqs builds the URL from the request's Host header instead: `http://127.0.0.1:<port>/...`,
 *    the same origin as the endpoint.
 * 2. Message body characters. Real SQS accepts #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD |
 *    #x10000–#x10FFFF. fauxqs tests bodies with `/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/` (no `u` flag),
 *    so every surrogate pair (emoji, rare CJK) is refused with InvalidMessageContents where AWS accepts it.
 *    We replace that one RegExp's `test` so local runs accept exactly what SQS accepts.
 * 3. Long polls: an empty long poll waits its whole WaitTimeSeconds, as on SQS (see fauxqs-long-poll.ts).
 */
type Stores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>["stores"]>;
type Ctor<T> = new () => T;

// biome-ignore lint/suspicious/noControlCharactersInRegex: this is the SQS character set, tab/LF/CR included
const sqsValidBody = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
let loaded: Promise<() => Stores> | undefined;

/** Returns a factory of fresh, corrected fauxqs stores for `buildApp({ stores })`. */
export function fauxqsStores(): Promise<() => Stores> {
  loaded ??= (async () => {
    const base = import.meta.resolve("fauxqs"); // …/fauxqs/dist/app.js
    const load = async <T>(path: string) => (await import(new URL(path, base).href)) as T;
    const [sqs, sns, s3, types] = await Promise.all([
      load<{ SqsStore: Ctor<Stores["sqsStore"]>; SqsQueue: { prototype: object } }>("./sqs/sqsStore.js"),
      load<{ SnsStore: Ctor<Stores["snsStore"]> }>("./sns/snsStore.js"),
      load<{ S3Store: Ctor<Stores["s3Store"]> }>("./s3/s3Store.js"),
      load<{ INVALID_MESSAGE_BODY_CHAR?: unknown }>("./sqs/sqsTypes.js"),
    ]);
    waitFullLongPolls(sqs.SqsQueue);
    const re = types.INVALID_MESSAGE_BODY_CHAR;
    if (re instanceof RegExp) {
      Object.defineProperty(re, "test", { value: (s: string) => sqsValidBody.test(s), configurable: true });
    }
    return () => {
      const sqsStore = new sqs.SqsStore();
      (sqsStore as { host?: string }).host = "";
      return { sqsStore, snsStore: new sns.SnsStore(), s3Store: new s3.S3Store() };
    };
  })();
  return loaded;
}
