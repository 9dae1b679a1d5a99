import { type FunctionMetrics, type LambdaContext, limits, usage, usageSince } from "@fanout/core";
import { announce, type NoticeDeps, republishDue } from "@fanout/notices";
import type { SQSClient } from "@fanout/queue";
import {
  changeVisibility,
  deleteMessages,
  type ReceivedMessage,
  receiveMessages,
  sendMessages,
} from "@fanout/queue";
import pLimit from "p-limit";
import { type DispatchDeps, dispatchMessage, type Verdict } from "./dispatch.ts";
import { inFlightCounter } from "./in-flight.ts";
import { jobView } from "./job-view.ts";
import { type DrainSummary, emptySummary } from "./summary.ts";

export interface DrainDeps extends DispatchDeps {
  sqs: SQSClient;
  tasksQueueUrl: string;
  pollers: number;
  dispatchConcurrency: number;
  /** Stop receiving when less than this much time is left. */
  safetyMarginMs: number;
  /** Long-poll wait per receive; an empty receive after a full wait ends that poller. */
  receiveWaitSeconds: number;
  /** Counts each verdict's metric (TasksDispatched, DuplicatesDropped, ...); the handler flushes them. */
  metrics?: FunctionMetrics<"consumer">;
  /** The jobs topic for `job.finished` notices; without it notices are only recorded on the job. */
  notices?: Pick<NoticeDeps, "sns" | "topicArn">;
  /**
   * A notice still due this long after its job finished is republished by the run's sweep: its winner
   * died or could not publish. Well inside SNS's 5-minute deduplication window. @default 30000
   */
  noticeGraceMs?: number;
  /** How often the run counts its dispatched tasks in flight (status's `running`). @default 1000 */
  inFlightCountMs?: number;
}

/** Adds a verdict to the consumer's metrics. */
function countVerdict(metrics: FunctionMetrics<"consumer">, verdict: Verdict): void {
  if (verdict.kind === "dispatched") metrics.count("TasksDispatched");
  else if (verdict.kind === "duplicate") metrics.count("DuplicatesDropped");
  else if (verdict.kind === "busy") metrics.count("ClaimsBusy");
  else if (verdict.kind === "cancelled") metrics.count("TasksCancelledUndispatched");
  else if (verdict.kind === "held") metrics.count("TasksHeldBack");
  else if (verdict.kind === "retried" || verdict.kind === "failed") {
    if (verdict.invoke === "throttled") metrics.count("InvokesThrottled");
    else if (verdict.invoke) metrics.count("InvokesFailed", 1, verdict.invoke);
  }
}

/**
 * One consumer run (G7): several long-polling pollers receive until the queue is empty or the time
 * budget (from `context.getRemainingTimeInMillis()`) is nearly spent; messages are dispatched with
 * bounded concurrency, and deleted in batches only once their task was handed on or found a duplicate.
 */
export async function drain(
  deps: DrainDeps,
  context: Pick<LambdaContext, "getRemainingTimeInMillis">,
): Promise<DrainSummary> {
  const started = Date.now();
  const before = usage();
  const summary = emptySummary();
  const limit = pLimit(deps.dispatchConcurrency);
  const background: Promise<unknown>[] = [];
  const timeLeft = () => context.getRemainingTimeInMillis() - deps.safetyMarginMs;
  /** When the last task this run held back at a job's cap becomes visible again. */
  let heldUntil = 0;
  const noticeDeps: NoticeDeps = { store: deps.store, logger: deps.logger, ...deps.notices };
  const dispatchDeps: DispatchDeps = {
    ...deps,
    jobs: jobView(deps.store),
    announce: (notice) => announce(noticeDeps, notice),
  };
  // The outbox sweep, once per run, beside the receives: nearly free when no notice is due.
  const sweep = republishDue(noticeDeps, deps.noticeGraceMs ?? 30_000).catch((error: unknown) => {
    deps.logger.warn("could not sweep due job notices; the next run tries again", { error: String(error) });
    return 0;
  });

  const inFlight = inFlightCounter(deps.store, deps.logger, deps.inFlightCountMs);
  const settle = async (messages: ReceivedMessage[], verdicts: Verdict[]) => {
    inFlight.add(
      verdicts.flatMap((v) => (v.kind === "dispatched" && v.job ? [{ job: v.job, index: v.index }] : [])),
    );
    const toDelete: string[] = [];
    const toReturn: { receiptHandle: string; seconds: number }[] = [];
    const toRecycle: { message: ReceivedMessage; seconds: number }[] = [];
    verdicts.forEach((verdict, i) => {
      const message = messages[i];
      if (!message) return;
      summary[verdict.kind === "duplicate" ? "duplicates" : verdict.kind] += 1;
      if (deps.metrics) countVerdict(deps.metrics, verdict);
      if (verdict.delete) toDelete.push(message.receiptHandle);
      else if (verdict.kind === "invalid")
        toReturn.push({ receiptHandle: message.receiptHandle, seconds: 0 });
      // A valid task that cannot be handed on now goes back as a fresh message (receive count 0, delayed)
      // instead of spending a receive: only malformed messages may reach the dead-letter queue (G1, G5).
      else {
        const seconds = verdict.retryInSeconds ?? deps.leaseSeconds;
        toRecycle.push({ message, seconds });
        // A task held back at its job's cap comes back soon: this run stays to dispatch it then.
        if (verdict.kind === "held") heldUntil = Math.max(heldUntil, Date.now() + seconds * 1000);
      }
    });
    if (toRecycle.length > 0) {
      const resent = await sendMessages(
        deps.sqs,
        deps.tasksQueueUrl,
        toRecycle.map(({ message, seconds }) => ({
          id: message.messageId,
          body: message.body,
          delaySeconds: seconds,
        })),
      ).catch((error: unknown) => ({
        sent: 0,
        failed: toRecycle.map((r) => ({ id: r.message.messageId, code: String(error) })),
      }));
      const notResent = new Set(resent.failed.map((f) => f.id));
      for (const { message, seconds } of toRecycle) {
        // The copy is queued: the original can go. If the copy could not be sent, keep the original.
        if (notResent.has(message.messageId))
          toReturn.push({ receiptHandle: message.receiptHandle, seconds });
        else {
          toDelete.push(message.receiptHandle);
          summary.recycled += 1;
        }
      }
    }
    const [deleted] = await Promise.all([
      deleteMessages(deps.sqs, deps.tasksQueueUrl, toDelete),
      toReturn.length > 0
        ? changeVisibility(deps.sqs, deps.tasksQueueUrl, toReturn).catch((error: unknown) => {
            deps.logger.warn("could not change visibility; messages return at their timeout", {
              error: String(error),
            });
          })
        : undefined,
    ]);
    summary.deleted += deleted.deleted;
    summary.deleteFailures += deleted.failed.length;
  };

  // The first poller that fails stops the others after their current receive: a run must not end (and free
  // its run slot) while a poller of it still receives (G7: found by the fault explorer, an SQS outage).
  let failure: { error: unknown } | undefined;
  const poll = async () => {
    while (timeLeft() > 0 && failure === undefined) {
      // Never wait past the budget: a long poll that returns late would hold messages we cannot handle.
      const waitSeconds = Math.max(0, Math.min(deps.receiveWaitSeconds, Math.floor(timeLeft() / 1000) - 1));
      const messages = await receiveMessages(deps.sqs, deps.tasksQueueUrl, {
        maxMessages: limits.sqsBatchEntries,
        waitSeconds,
      });
      if (messages.length === 0) {
        // Empty for a full wait: done, unless tasks this run held back at a cap are due back within a minute.
        const heldBack = heldUntil - Date.now();
        if (waitSeconds >= deps.receiveWaitSeconds && !(heldBack > 0 && heldBack <= 60_000)) return;
        continue;
      }
      summary.received += messages.length;
      const verdicts = await Promise.all(
        messages.map((message) =>
          limit(() =>
            dispatchMessage(message, dispatchDeps).catch((error: unknown): Verdict => {
              // A store or network fault: leave the message; it returns after its visibility timeout.
              deps.logger.error("dispatch error; message left in the queue", {
                messageId: message.messageId,
                error: String(error),
              });
              return { kind: "failed", delete: false };
            }),
          ),
        ),
      );
      // Deletes run in the background while this poller receives again.
      background.push(settle(messages, verdicts));
    }
    summary.stopped = "budget";
  };

  await Promise.allSettled(
    Array.from({ length: deps.pollers }, () =>
      poll().catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  const settled = await Promise.allSettled(background);
  await inFlight.flush();
  if (failure) throw failure.error;
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  summary.noticesRepublished = await sweep;
  summary.ms = Date.now() - started;
  return { ...summary, ...usageSince(before) };
}
