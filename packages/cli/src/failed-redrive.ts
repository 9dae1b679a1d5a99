import { encodeTask } from "@fanout/core";
import {
  type FailedEvent,
  type RequeueClause,
  type RequeueState,
  readTask,
  requeueClauseOf,
  requeueTask,
  TaskStatus,
} from "@fanout/dedup";
import { invokeAsync } from "@fanout/invoker";
import { readJob } from "@fanout/job-state";
import { deleteMessages, queueDepth, sendMessages } from "@fanout/queue";
import type { CliContext } from "./context.ts";
import { type DeadLetterReport, redriveDeadLetters } from "./dead-letters.ts";
import { describeError, ExitCode } from "./errors.ts";
import { type FailedRecord, receiveRecords, release } from "./failed-records.ts";
import type { FailedRedriveFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { printable, writeJson, writeLine } from "./output.ts";

/** Seconds a record being redriven stays hidden; if this process dies, it reappears for the next redrive. */
export const redriveVisibilitySeconds = 60;

export type RedriveAction = "redriven" | "skipped" | "error";

export interface RedriveOutcome {
  messageId: string;
  taskId: string | null;
  action: RedriveAction;
  reason: string;
}

export interface RedriveReport {
  dryRun: boolean;
  redriven: number;
  skipped: number;
  errors: number;
  /** The consumer was invoked so the redriven tasks start now (not at the next schedule tick). */
  nudged: boolean;
  /** Valid tasks found in the dead-letter queue and sent back; malformed messages left there. */
  deadLetters: DeadLetterReport;
  records: RedriveOutcome[];
  /**
   * Failed-task records this run could not see: in flight, held by another redrive or by one that stopped
   * midway (they come back within the redrive's visibility timeout). Non-zero: run the redrive again then.
   */
  inFlight: number;
  /**
   * Records visible in the failed-task and dead-letter queues when the run ended, beyond those it gave back
   * itself (kept, malformed, not sent): they arrived, or came back from a read whose answer was lost, after
   * the run read past them. Non-zero: run the redrive again.
   */
  remaining: number;
}

type Decision = { action: "send" | "skip" | "error"; reason: string };

/**
 * What to do with a record whose task could not be moved FAILED → REQUEUED, from the task's state now.
 * The rule: resend whenever the consumer would claim the task (no record, REQUEUED); drop the record
 * only when the task has been handed on or finished (its outcome will be recorded, and a new failure
 * makes a new record); keep it in every other case.
 */
export function decideForState(
  record: { status: string; leaseUntil?: number } | undefined,
  now: number,
): Decision {
  if (!record)
    return { action: "send", reason: "no task record (expired): the consumer will claim it afresh" };
  switch (record.status) {
    case TaskStatus.Requeued:
      return { action: "send", reason: "already REQUEUED by a redrive that stopped before it finished" };
    case TaskStatus.Succeeded:
      return { action: "skip", reason: "already SUCCEEDED" };
    case TaskStatus.Cancelled:
      return { action: "skip", reason: "CANCELLED: its job was cancelled" };
    case TaskStatus.Dispatched:
      // (v0.1.0's records) Reached only when its record names a later dispatch than this event (or this
      // record has no request id): that dispatch will end the task. Without a dispatch id it was requeued.
      return { action: "skip", reason: "dispatched again since this event failed" };
    case TaskStatus.Claimed:
      // Claimed for another event (this one's claim is requeued): the record is kept until the lease ends.
      return {
        action: "error",
        reason: "CLAIMED under a live claim lease; record kept, redrive again after it ends",
      };
    case TaskStatus.Failed:
      // Reached only for a failure of a later dispatch that Lambda will still retry: its outcome decides.
      return {
        action: "error",
        reason: "FAILED by a later dispatch whose retry is pending; record kept, redrive again after it",
      };
    case TaskStatus.Running:
      // A live lease may belong to a worker that died: dropping the record could lose the task (G1).
      // Keep it; once the lease expires, requeueTask takes the task back.
      return {
        action: "error",
        reason:
          (record.leaseUntil ?? 0) > now
            ? `RUNNING under a lease until ${new Date(record.leaseUntil ?? 0).toISOString()}; record kept, redrive again after it`
            : "RUNNING with an expired lease changed while redriving; record kept, run redrive again",
      };
    default:
      return {
        action: "error",
        reason: `task changed while redriving (now ${record.status}); run redrive again`,
      };
  }
}

/** Why a record's task is requeued, by the clause of the requeue's condition it met. */
const requeueReasons: Record<RequeueClause, string> = {
  failed: "FAILED → REQUEUED",
  deadRun: "RUNNING with an expired lease (its worker died) → REQUEUED",
  deadClaim: "CLAIMED with an expired lease (its consumer died, or its event never started it) → REQUEUED",
  claimedToken: "CLAIMED for this event, which never ran → REQUEUED",
  failedDispatch: "DISPATCHED by this event (v0.1.0), which never ran → REQUEUED",
  unprovenDispatch: "DISPATCHED with no dispatch id on record (nothing proves a later dispatch) → REQUEUED",
};

/**
 * The whole decision for a record, from its task's record as it is now: requeue and send when the requeue's
 * condition holds ({@link requeueClauseOf}, the same rule as `requeueTask`'s write), else
 * {@link decideForState}. The dry run decides with it; the real run makes the conditional write and, when it
 * is refused, decides by {@link decideForState} on the record read after it: the same outcome for the same
 * record.
 */
export function decideRedrive(
  record: RequeueState | undefined,
  task: { epoch?: number },
  failed: FailedEvent,
  now: number,
): Decision {
  const clause = requeueClauseOf(record, task, failed, now);
  if (clause) return { action: "send", reason: requeueReasons[clause] };
  return decideForState(record, now);
}

async function decide(ctx: CliContext, r: FailedRecord, dryRun: boolean): Promise<Decision> {
  if (!r.task || !r.taskId) return { action: "error", reason: `cannot redrive: ${r.problem ?? "no task"}` };
  const ref = { taskId: r.taskId, jobId: r.task.jobId, index: r.task.index, epoch: r.task.epoch };
  const failed: FailedEvent = {
    ...(r.requestId === undefined ? {} : { requestId: r.requestId }),
    ...(r.token === undefined ? {} : { token: r.token }),
  };
  // Only reads: what the real run would do with the task as it is now.
  if (dryRun) return decideRedrive(await readTask(ctx.store, r.taskId), ref, failed, ctx.store.now());
  // 1. Make the task claimable again: only a FAILED task, one whose failed event was its latest dispatch
  //    (or whose record cannot name a later one), or one left RUNNING or CLAIMED by a dead process (expired
  //    lease) moves, so a task that has since succeeded, or is running, is never run twice by a redrive.
  // One read of the job record serves both writes below: it places the task's counter shard.
  const job = await readJob(ctx.store, ref.jobId);
  if (await requeueTask(ctx.store, ref, failed, job))
    return {
      action: "send",
      reason: "FAILED, this event's claim or dispatch, dead claim or dead RUNNING → REQUEUED",
    };
  const current = await readTask(ctx.store, r.taskId);
  return decideForState(current, ctx.store.now());
}

/**
 * What the failed-task and dead-letter queues hold after a run: records in flight (held by another, or a
 * stopped, redrive) and visible ones (given back by this run, or arrived or come back after it read past).
 */
async function recordsLeft(
  ctx: CliContext,
  failedUrl: string,
): Promise<{ inFlight: number; visible: number }> {
  const dlqUrl = await ctx.queueUrl(ctx.names.deadLetterQueue);
  const [failed, dead] = await Promise.all([queueDepth(ctx.sqs, failedUrl), queueDepth(ctx.sqs, dlqUrl)]);
  return { inFlight: failed.inFlight + dead.inFlight, visible: failed.visible + dead.visible };
}

/**
 * `fanout failed redrive`: moves failed tasks from the failed-task queue back into the tasks queue.
 * Per record, in an order that never loses a task: requeue the task record (FAILED → REQUEUED), then
 * send the original task body to the tasks queue, then delete the record. A crash between any two steps
 * leaves the record in the failed queue, and the next redrive finishes the job (a REQUEUED task is sent
 * again; a duplicate message is harmless because the consumer's claim dedups it). Then nudges the consumer.
 *
 * @example
 * const code = await failedRedrive(ctx, io, { max: 1000, dryRun: false, json: false, nudge: true });
 */
export async function failedRedrive(ctx: CliContext, io: Io, flags: FailedRedriveFlags): Promise<number> {
  const failedUrl = await ctx.queueUrl(ctx.names.failedQueue);
  const tasksUrl = await ctx.queueUrl(ctx.names.tasksQueue);
  const outcomes: RedriveOutcome[] = [];
  const keep: string[] = [];
  const restartedSteps: FailedRecord[] = [];
  const handleBatch = async (records: FailedRecord[]) => {
    const decided = await Promise.all(
      records
        .filter((r) => !r.step)
        .map(async (r) => {
          try {
            return { r, d: await decide(ctx, r, flags.dryRun) };
          } catch (error) {
            return { r, d: { action: "error", reason: describeError(error) } satisfies Decision };
          }
        }),
    );
    const outcome = (r: FailedRecord, action: RedriveAction, reason: string) =>
      outcomes.push({ messageId: r.messageId, taskId: r.taskId ?? null, action, reason });
    // A failed enqueue step of a source job: restart it (main's step is idempotent: it takes the job's
    // enqueue lease at the same point, or finds the work committed and only hands the rest on again).
    const steps = records.filter((r) => r.step);
    for (const r of steps) {
      const step = r.step as NonNullable<FailedRecord["step"]>;
      const label = `enqueue step of ${step.jobId} from task ${step.from}`;
      if (flags.dryRun) {
        outcome(r, "redriven", `${label}: would restart it (invoke ${ctx.names.mainFunction})`);
        keep.push(r.receiptHandle);
        continue;
      }
      try {
        await invokeAsync(ctx.lambda, ctx.names.mainFunction, JSON.stringify({ continueJob: step }));
        outcome(r, "redriven", `${label}: restarted`);
        restartedSteps.push(r);
      } catch (error) {
        outcome(
          r,
          "error",
          `${label}: could not invoke ${ctx.names.mainFunction} (${describeError(error)}); record kept`,
        );
        keep.push(r.receiptHandle);
      }
    }
    if (flags.dryRun) {
      for (const { r, d } of decided) {
        outcome(r, d.action === "send" ? "redriven" : d.action === "skip" ? "skipped" : "error", d.reason);
        keep.push(r.receiptHandle);
      }
      return;
    }
    // 2. Send the original task body; only a record whose task was sent (or needs no send) is deleted.
    const toSend = decided.filter(({ d }) => d.action === "send");
    const sent = await sendMessages(
      ctx.sqs,
      tasksUrl,
      toSend.flatMap(({ r }) => (r.task ? [{ id: r.messageId, body: encodeTask(r.task) }] : [])),
    );
    const sendErrors = new Map(sent.failed.map((f) => [f.id, `${f.code}: ${f.message}`]));
    const done: FailedRecord[] = [];
    for (const { r, d } of decided) {
      const sendError = sendErrors.get(r.messageId);
      if (d.action === "error" || sendError) {
        outcome(
          r,
          "error",
          sendError ? `send to ${ctx.names.tasksQueue} failed (${sendError}); record kept` : d.reason,
        );
        keep.push(r.receiptHandle);
      } else {
        outcome(r, d.action === "send" ? "redriven" : "skipped", d.reason);
        done.push(r);
      }
    }
    // 3. Delete: a record not deleted now comes back, and the next redrive skips or resends it safely.
    const deleted = await deleteMessages(ctx.sqs, failedUrl, [
      ...done.map((r) => r.receiptHandle),
      ...restartedSteps.splice(0).map((r) => r.receiptHandle),
    ]);
    for (const f of deleted.failed) {
      io.stderr.write(
        `fanout: warning: could not delete a redriven record (${f.code}); a later redrive skips it\n`,
      );
    }
  };
  // Valid tasks that reached the dead-letter queue go back first (the claim drops any handed on already).
  const deadLetters = await redriveDeadLetters(ctx, { max: flags.max, dryRun: flags.dryRun });
  let extraHandles: string[] = [];
  try {
    ({ extraHandles } = await receiveRecords(
      ctx.sqs,
      failedUrl,
      { max: flags.max, visibilitySeconds: redriveVisibilitySeconds },
      handleBatch,
    ));
  } finally {
    await release(ctx.sqs, failedUrl, [...keep, ...extraHandles]).catch(() => undefined);
  }
  const count = (a: RedriveAction) => outcomes.filter((o) => o.action === a).length;
  const left = flags.dryRun ? { inFlight: 0, visible: 0 } : await recordsLeft(ctx, failedUrl);
  const givenBack = keep.length + extraHandles.length + deadLetters.kept + deadLetters.failed;
  const report: RedriveReport = {
    dryRun: flags.dryRun,
    redriven: count("redriven"),
    skipped: count("skipped"),
    errors: count("error"),
    nudged: false,
    deadLetters,
    records: outcomes,
    // A redrive that died after its requeue write left its record invisible for a while: a run now would
    // miss it and report success, so say so, and fail, until nothing is in flight.
    inFlight: left.inFlight,
    // A read whose answer was lost hides its messages for the visibility timeout; if that ended before this
    // check, they are visible again and the run must not report the queues drained.
    remaining: Math.max(0, left.visible - givenBack),
  };
  if (!flags.dryRun && report.redriven + deadLetters.moved > 0 && flags.nudge) {
    try {
      await invokeAsync(ctx.lambda, ctx.names.consumerFunction, "{}");
      report.nudged = true;
    } catch (error) {
      io.stderr.write(
        `fanout: warning: could not nudge ${ctx.names.consumerFunction} (${describeError(error)}); the schedule will run it\n`,
      );
    }
  }
  if (flags.json) writeJson(io.stdout, report);
  else {
    const label = (a: RedriveAction) =>
      a === "error" ? "error" : flags.dryRun ? (a === "redriven" ? "would redrive" : "would skip") : a;
    for (const o of outcomes) {
      writeLine(
        io.stdout,
        `${label(o.action)}  ${printable(o.taskId ?? o.messageId)}  ${printable(o.reason)}`,
      );
    }
    writeLine(
      io.stdout,
      `${flags.dryRun ? "dry run, nothing changed: " : ""}redriven ${report.redriven}, skipped ${report.skipped}, errors ${report.errors}${deadLetters.moved + deadLetters.kept + deadLetters.failed > 0 ? `; dead-letter queue: ${deadLetters.moved} valid task${deadLetters.moved === 1 ? "" : "s"} sent back, ${deadLetters.kept} malformed kept${deadLetters.failed > 0 ? `, ${deadLetters.failed} valid not sent (kept)` : ""}` : ""}`,
    );
  }
  if (report.inFlight > 0) {
    io.stderr.write(
      `fanout: ${report.inFlight} record${report.inFlight === 1 ? " is" : "s are"} in flight in ${ctx.names.failedQueue} or ${ctx.names.deadLetterQueue} (held by another redrive, or one that stopped midway): run fanout failed redrive again in ${redriveVisibilitySeconds} s\n`,
    );
    return ExitCode.Failure;
  }
  if (report.remaining > 0) {
    io.stderr.write(
      `fanout: ${report.remaining} record${report.remaining === 1 ? " remains" : "s remain"} in ${ctx.names.failedQueue} or ${ctx.names.deadLetterQueue} (beyond --max, or arrived or came back after this run read past them): run fanout failed redrive again\n`,
    );
    return ExitCode.Failure;
  }
  if (deadLetters.failed > 0) {
    io.stderr.write(
      `fanout: ${deadLetters.failed} valid task${deadLetters.failed === 1 ? "" : "s"} in ${ctx.names.deadLetterQueue} could not be sent back (the send failed) and stay there: run fanout failed redrive again\n`,
    );
    return ExitCode.Failure;
  }
  if (report.errors > 0) {
    io.stderr.write(
      `fanout: ${report.errors} record${report.errors === 1 ? "" : "s"} could not be redriven and stay in ${ctx.names.failedQueue}\n`,
    );
    return ExitCode.Failure;
  }
  return ExitCode.Ok;
}
