import { parseTask } from "@fanout/core";
import { deleteMessages, type ReceivedMessage, receiveMessages, sendMessages } from "@fanout/queue";
import type { CliContext } from "./context.ts";
import { release } from "./failed-records.ts";

/** What `failed redrive` did with the dead-letter queue. */
export interface DeadLetterReport {
  /** Valid tasks sent back to the tasks queue (and deleted from the DLQ). */
  moved: number;
  /** Malformed messages, left in the DLQ where they belong (G5). */
  kept: number;
  /** Valid tasks that could not be sent back (their send failed): still in the DLQ, so the redrive fails. */
  failed: number;
}

/**
 * Sends every valid task in the dead-letter queue back to the tasks queue. A valid task reaches the DLQ only
 * when its message could not even be recycled through repeated faults (ADR 0008); sending it back is always
 * safe, because the consumer's claim drops a task already handed on. Malformed messages stay.
 */
export async function redriveDeadLetters(
  ctx: CliContext,
  options: { max: number; dryRun: boolean },
): Promise<DeadLetterReport> {
  const dlqUrl = await ctx.queueUrl(ctx.names.deadLetterQueue);
  const tasksUrl = await ctx.queueUrl(ctx.names.tasksQueue);
  const report: DeadLetterReport = { moved: 0, kept: 0, failed: 0 };
  const giveBack: string[] = [];
  const seen = new Set<string>();
  try {
    while (report.moved + report.kept + report.failed < options.max) {
      const batch = await receiveMessages(ctx.sqs, dlqUrl, {
        maxMessages: 10,
        waitSeconds: 0,
        visibilityTimeoutSeconds: 60,
      });
      const fresh: ReceivedMessage[] = [];
      for (const m of batch) {
        if (seen.has(m.messageId)) giveBack.push(m.receiptHandle);
        else {
          seen.add(m.messageId);
          fresh.push(m);
        }
      }
      if (fresh.length === 0) break;
      const valid = fresh.filter((m) => isTask(m.body));
      for (const m of fresh) if (!valid.includes(m)) giveBack.push(m.receiptHandle);
      report.kept += fresh.length - valid.length;
      if (options.dryRun) {
        report.moved += valid.length;
        giveBack.push(...valid.map((m) => m.receiptHandle));
        continue;
      }
      // Send first, then delete: a crash between leaves a duplicate message, which the claim drops.
      const sent = await sendMessages(
        ctx.sqs,
        tasksUrl,
        valid.map((m) => ({ id: m.messageId, body: m.body })),
      );
      const notSent = new Set(sent.failed.map((f) => f.id));
      const moved = valid.filter((m) => !notSent.has(m.messageId));
      giveBack.push(...valid.filter((m) => notSent.has(m.messageId)).map((m) => m.receiptHandle));
      // Not sent: the task stays in the DLQ, and this redrive must not report success (found by the explorer:
      // an exit 0 ended the operator's redrive with a valid task left there, its job never finishing).
      report.failed += notSent.size;
      const deleted = await deleteMessages(
        ctx.sqs,
        dlqUrl,
        moved.map((m) => m.receiptHandle),
      );
      report.moved += moved.length - deleted.failed.length;
    }
  } finally {
    await release(ctx.sqs, dlqUrl, giveBack).catch(() => undefined);
  }
  return report;
}

function isTask(body: string): boolean {
  try {
    parseTask(body, "dead letter");
    return true;
  } catch {
    return false;
  }
}
