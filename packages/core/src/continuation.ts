import { z } from "zod";
import { jobLimits } from "./limits.ts";

/**
 * The event one enqueue step of a source job sends to the next (main invokes itself asynchronously):
 * enqueue the recorded job's tasks from `from` on. Main reads it; `fanout failed redrive` recognises it in a
 * failed-event record (main's on-failure destination) and restarts the step with it.
 */
export const continuationSchema = z.strictObject({
  continueJob: z.strictObject({
    jobId: z.string().regex(jobLimits.jobIdPattern),
    epoch: z.number().int().nonnegative(),
    from: z.number().int().nonnegative(),
  }),
});

export type Continuation = z.infer<typeof continuationSchema>["continueJob"];

/** Whether an event is meant as a continuation (then it must parse as one: {@link continuationSchema}). */
export const isContinuation = (event: unknown): boolean =>
  event !== null && typeof event === "object" && "continueJob" in event;
