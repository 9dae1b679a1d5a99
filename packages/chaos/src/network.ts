import { Readable } from "node:stream";
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from "@smithy/types";
import { splitBatch } from "./batch-split.ts";
import { callSiteOfFrames } from "./coverage.ts";
import type { Actor, PendingCall, World } from "./world.ts";

/** A simulated service: answers one request. `process` may answer later (a long poll); it must not throw. */
export interface Service {
  readonly name: "dynamodb" | "sqs" | "lambda" | "sns" | "s3";
  /** Applies the request's effect and returns the answer (possibly later, e.g. a long poll). */
  serve(request: Request): Promise<Answer>;
  /** An error answer the real service would send for a throttle or a server fault. */
  errorAnswer(kind: "throttle" | "server"): Answer;
  /**
   * Sees every request as it leaves the caller's gate, before its fault is chosen; true when the request met
   * something the fault plan may correlate with (Lambda: a stale event it released, {@link CallInfo}).
   */
  arriving?(request: Request): boolean;
}

export interface Request {
  /** e.g. `UpdateItem`, `ReceiveMessage`, `Invoke`. */
  operation: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The process that sent it (services run in the scheduler's context, not the caller's). */
  caller?: Actor | undefined;
  /** The fault this request got: a service may model what comes with it (Lambda: a late event). */
  fault?: CallFault["kind"];
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** The body as bytes, sent instead of `body` (an S3 object need not be text). */
  bytes?: Buffer;
}

/** What happens to one call; chosen by the fault plan when the call leaves the gate. */
export type CallFault =
  | { kind: "none" }
  /** Connection refused: nothing was sent. */
  | { kind: "refused" }
  /** The service answered with a throttle or a server error and did nothing. */
  | { kind: "throttle" }
  | { kind: "server" }
  /** The request took effect, but the answer was lost (reset connection, timeout). */
  | { kind: "lost" }
  /** Held for `ms` of virtual time first (past a lease, a visibility timeout). */
  | { kind: "delay"; ms: number }
  /** The calling process dies before the request is sent, or after it took effect. */
  | { kind: "crash-before" }
  | { kind: "crash-after" }
  /** A batch call: the entries `partialFault(pick, n)` names fail (per entry, in the answer); the rest apply. */
  | { kind: "partial"; pick: number };

export interface CallInfo {
  service: Service["name"];
  operation: string;
  request: Request;
  call: PendingCall;
  /** The shipped code's call site (`callSiteOf`), e.g. `job-state/jobs.ts:cancelJob dynamodb.UpdateItem`. */
  site: string;
  /** A stale event of the same payload was released as this invoke left (the task's redispatch). */
  overtakes?: boolean;
}

/** Services by the host name of the endpoint the clients are given (`http://sqs.sim`, ...). */
export const simEndpoints = {
  dynamodb: "http://dynamodb.sim",
  sqs: "http://sqs.sim",
  lambda: "http://lambda.sim",
  sns: "http://sns.sim",
  s3: "http://s3.sim",
} as const;

function operationOf(service: Service["name"], request: HttpRequest): string {
  // SNS speaks the query protocol: the action is a form field of the body.
  if (service === "sns") return new URLSearchParams(bodyText(request.body)).get("Action") ?? "Unknown";
  if (service === "lambda") {
    const m = /\/functions\/([^/]+)\/invocations$/.exec(request.path);
    return m ? "Invoke" : `Unsupported:${request.path}`;
  }
  // S3 speaks REST: the SDK names most operations in the query (`?x-id=GetObject`); HEAD has none.
  if (service === "s3") {
    const id = request.query?.["x-id"];
    if (typeof id === "string") return id;
    return request.method === "HEAD" ? "HeadObject" : `Unsupported:${request.method}`;
  }
  const target = request.headers["x-amz-target"] ?? request.headers["X-Amz-Target"] ?? "";
  return target.split(".").pop() ?? "Unknown";
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  // Not Buffer.from(body): the SDK's JSON body adapter answers valueOf() with a string (and a warning).
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  throw new Error(`simulated network: unsupported request body ${typeof body}`);
}

function toResponse(answer: Answer, service: Service["name"]): { response: HttpResponse } {
  const bytes = answer.bytes ?? Buffer.from(answer.body);
  return {
    response: {
      statusCode: answer.status,
      reason: undefined,
      headers: {
        "content-type": service === "s3" ? "application/xml" : "application/x-amz-json-1.0",
        ...(answer.headers ?? {}),
      },
      // S3's GetObject hands its body on as a stream: the SDK's sdkStreamMixin wants a Node Readable.
      body: service === "s3" ? Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false }) : bytes,
    } as unknown as HttpResponse,
  };
}

function networkError(code: "ECONNREFUSED" | "ECONNRESET"): Error {
  const error = new Error(code === "ECONNREFUSED" ? "connect ECONNREFUSED" : "socket hang up");
  (error as Error & { code: string }).code = code;
  return error;
}

/**
 * The SDK request handler of every simulated client: each request waits at the world's gate; when picked,
 * `decide` chooses its fault, and the service applies it. The SDK above (serialisation, retries, errors)
 * and the code above that run exactly as they ship.
 */
export class SimNetwork {
  private sent = 0;
  private readonly world: World;
  private readonly services: Partial<Record<Service["name"], Service>>;
  private readonly decide: (info: CallInfo) => CallFault;
  private readonly onFault: (info: CallInfo, fault: CallFault) => void;
  private readonly onAnswer: (info: CallInfo, answer: Answer) => void;

  constructor(
    world: World,
    /** The services this world has (one without source jobs has no S3). */
    services: Partial<Record<Service["name"], Service>>,
    decide: (info: CallInfo) => CallFault,
    onFault: (info: CallInfo, fault: CallFault) => void,
    onAnswer: (info: CallInfo, answer: Answer) => void,
  ) {
    this.world = world;
    this.services = services;
    this.decide = decide;
    this.onFault = onFault;
    this.onAnswer = onAnswer;
  }

  /** A request handler for a client of `service`. */
  handler(service: Service["name"]): RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> {
    return {
      handle: (request: HttpRequest) => this.send(service, request),
      // biome-ignore lint/suspicious/noExplicitAny: the SDK's HttpHandler also has these.
      updateHttpClientConfig: (() => {}) as any,
      httpHandlerConfigs: () => ({}),
      destroy: () => {},
    } as unknown as RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;
  }

  private send(serviceName: Service["name"], http: HttpRequest): Promise<{ response: HttpResponse }> {
    const service = this.services[serviceName];
    if (!service) throw new Error(`simulated network: this world has no ${serviceName}`);
    const request: Request = {
      operation: operationOf(serviceName, http),
      path: http.path,
      headers: Object.fromEntries(Object.entries(http.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: bodyText(http.body),
      caller: this.world.current(),
    };
    // Where in the shipped code the call comes from (async stack frames reach past the SDK's middleware).
    // Call sites are read from async stacks that run deep through the SDK's middleware: 100 frames here only
    // (a global limit of 100 would make every error thrown and caught elsewhere, e.g. inside node:crypto's
    // createHmac on each SigV4 signature, capture 100 frames too). The frames are kept as V8's call sites and
    // only those in the shipped packages are formatted (formatting all 100 cost more than the capture).
    const limit = Error.stackTraceLimit;
    const prepare = Error.prepareStackTrace;
    Error.stackTraceLimit = Math.max(limit, 100);
    Error.prepareStackTrace = (_error, frames) => frames;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    const frames = holder.stack ?? [];
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
    const site = `${callSiteOfFrames(frames)} ${serviceName}.${request.operation}`;
    return new Promise((resolve, reject) => {
      const actor = this.world.current();
      // Every answer takes a few milliseconds of virtual time, so that a loop of calls lets time pass.
      const latencyMs = 3 + ((this.sent++ * 7919) % 17);
      const later = (fn: () => void) => setTimeout(fn, latencyMs);
      const answer = (a: Answer): void => {
        later(() => {
          // A dead process reads no answer.
          if (actor && !actor.alive) return;
          resolve(toResponse(a, serviceName));
        });
      };
      const fail = (e: Error): void => {
        later(() => {
          if (actor && !actor.alive) return;
          reject(e);
        });
      };
      const call: Omit<PendingCall, "seq" | "actor"> = {
        label: `${serviceName}.${request.operation}`,
        reject: fail,
        process: async () => {
          const info: CallInfo = {
            service: serviceName,
            operation: request.operation,
            request,
            call: pending(),
            site,
          };
          if (service.arriving?.(request)) info.overtakes = true;
          const fault = this.decide(info);
          request.fault = fault.kind;
          if (fault.kind !== "none") this.onFault(info, fault);
          switch (fault.kind) {
            case "delay":
              this.world.requeue(info.call, this.world.now() + fault.ms);
              // The delayed call is decided afresh when it is picked again; mark it so it is not delayed twice.
              (info.call as PendingCall & { delayed?: boolean }).delayed = true;
              // A DynamoDB write held this long lands after its sender died too (killed at its timeout while
              // waiting): every lease, claim and slot condition must hold against such a late write. Other
              // services' requests are dropped with their sender, as before.
              if (serviceName === "dynamodb") info.call.inFlight = true;
              return;
            case "refused":
              fail(networkError("ECONNREFUSED"));
              return;
            case "throttle":
            case "server":
              answer(service.errorAnswer(fault.kind));
              return;
            case "crash-before":
              if (actor) this.world.kill(actor, `crashed before ${info.call.label}`);
              return;
            case "partial": {
              const split = splitBatch(serviceName, request, fault.pick);
              if (split.allFailed !== undefined) {
                this.onAnswer(info, split.allFailed);
                answer(split.allFailed);
                return;
              }
              const served = service.serve(split.request);
              void served.then(
                (a) => {
                  this.onAnswer(info, a);
                  answer(split.merge(a));
                },
                (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
              );
              if (service.name === "dynamodb") await served.catch(() => undefined);
              return;
            }
            default:
              break;
          }
          const served = service.serve(request);
          // Effects are applied synchronously or before `serve` resolves; the answer may come later.
          void served.then(
            (a) => {
              this.onAnswer(info, a);
              if (fault.kind === "lost") {
                fail(networkError("ECONNRESET"));
                return;
              }
              if (fault.kind === "crash-after") {
                if (actor) this.world.kill(actor, `crashed after ${info.call.label}`);
                return;
              }
              answer(a);
            },
            (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
          );
          // Real I/O (the DynamoDB emulator) finishes before the next call is picked.
          // (and SNS, whose deliveries the checks read the table at, as they happen).
          if (service.name === "dynamodb" || service.name === "sns") await served.catch(() => undefined);
        },
      };
      let registered: PendingCall | undefined;
      const pending = () => registered as PendingCall;
      registered = this.world.gate(call);
    });
  }
}
