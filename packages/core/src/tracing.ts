import type { LambdaContext } from "./context.ts";
import type { FunctionRole } from "./metrics.ts";

/** What the functions need of Powertools Tracer; a no-op when tracing is off. */
export interface FunctionTracer {
  readonly enabled: boolean;
  /** Records the client's AWS calls as subsegments and passes the trace header on (`captureAWSv3Client`). */
  captureClient<T>(client: T): T;
  /**
   * Runs the handler in a `## <function>` subsegment with ColdStart and Service annotations, plus those
   * `annotate` returns (e.g. jobId, taskId), and records a thrown error.
   */
  wrap<E, R>(
    handler: (event: E, context: LambdaContext) => Promise<R>,
    annotate?: (event: E, result: R | undefined) => Record<string, string | number | undefined>,
  ): (event: E, context: LambdaContext) => Promise<R>;
}

const off: FunctionTracer = {
  enabled: false,
  captureClient: (client) => client,
  wrap: (handler) => handler,
};

/**
 * Whether tracing is on: only inside Lambda (AWS_EXECUTION_ENV set, not SAM local), and not when
 * POWERTOOLS_TRACE_ENABLED is "false" (the variable Powertools reads and Terraform sets from the settings'
 * `tracing.enabled`) or POWERTOOLS_TRACE_DISABLED is "true". The local stack sets POWERTOOLS_TRACE_ENABLED=false.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.AWS_EXECUTION_ENV || env.AWS_SAM_LOCAL) return false;
  if (env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() === "false") return false;
  if (env.POWERTOOLS_TRACE_DISABLED?.toLowerCase() === "true") return false;
  return true;
}

/**
 * Powertools Tracer for one function, loaded only when {@link tracingEnabled}: the X-Ray SDK it brings
 * enables an async_hooks context for the whole process as soon as it is imported, a cost every promise
 * pays, so a function with tracing off never imports it. Call once per container, before creating clients.
 *
 * @example
 * const tracer = await createTracer("main");
 * const sqs = tracer.captureClient(createSqsClient());
 * export const handler = tracer.wrap(mainHandler({ sqs, ... }));
 */
export async function createTracer(
  fn: FunctionRole,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FunctionTracer> {
  if (!tracingEnabled(env)) return off;
  const { Tracer } = await import("@aws-lambda-powertools/tracer");
  // AWS calls are captured per client; patching every HTTP request as well would record each call twice.
  const tracer = new Tracer({ serviceName: fn, captureHTTPsRequests: false });
  return {
    enabled: tracer.isTracingEnabled(),
    captureClient: (client) => tracer.captureAWSv3Client(client as never) as typeof client,
    wrap(handler, annotate) {
      return async (event, context) => {
        const segment = tracer.getSegment();
        const subsegment = segment?.addNewSubsegment(`## ${fn}`);
        if (subsegment) tracer.setSegment(subsegment);
        tracer.annotateColdStart();
        tracer.addServiceNameAnnotation();
        let result: Awaited<ReturnType<typeof handler>> | undefined;
        try {
          result = await handler(event, context);
          return result;
        } catch (error) {
          tracer.addErrorAsMetadata(error as Error);
          throw error;
        } finally {
          try {
            for (const [key, value] of Object.entries(annotate?.(event, result) ?? {}))
              if (value !== undefined) tracer.putAnnotation(key, value);
          } catch {
            // an annotation must never fail the invocation
          }
          subsegment?.close();
          if (segment) tracer.setSegment(segment);
        }
      };
    },
  };
}
