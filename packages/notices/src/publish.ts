import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Logger } from "@fanout/core";
import { type DedupStore, dueNotices, type JobNotice, markNotified } from "@fanout/job-state";

export interface NoticeDeps {
  store: DedupStore;
  /** Without a topic (or a client) the notice stays recorded on the job, due, and nothing is published. */
  sns?: SNSClient;
  topicArn?: string;
  logger: Logger;
}

/**
 * Publishes one notice to the FIFO topic. The deduplication id is the job incarnation (`<jobId>#<epoch>`),
 * so SNS drops a second publish of the same notice within its 5-minute window: a crash between publishing
 * and {@link markNotified}, or the sweep racing the winner, still delivers it once.
 */
export async function publishNotice(sns: SNSClient, topicArn: string, notice: JobNotice): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify(notice),
      MessageGroupId: notice.jobId,
      MessageDeduplicationId: `${notice.jobId}#${notice.epoch}`,
      MessageAttributes: {
        type: { DataType: "String", StringValue: notice.type },
        state: { DataType: "String", StringValue: notice.state },
      },
    }),
  );
}

/**
 * Publishes a job's notice, then takes it out of the outbox. Never throws: a notice that could not be
 * published stays due and the consumer's sweep ({@link republishDue}) sends it.
 */
export async function announce(deps: NoticeDeps, notice: JobNotice): Promise<boolean> {
  if (!deps.sns || !deps.topicArn) {
    deps.logger.info("job finished; no jobs topic configured, so the notice is only recorded", { notice });
    return false;
  }
  try {
    await publishNotice(deps.sns, deps.topicArn, notice);
    await markNotified(deps.store, notice);
    deps.logger.info("job finished; notice published", { notice });
    return true;
  } catch (error) {
    deps.logger.warn("job finished; the notice stays due and the consumer will publish it", {
      jobId: notice.jobId,
      error: String(error),
    });
    return false;
  }
}

/**
 * The outbox sweep: publishes notices that are still due `olderThanMs` after their job finished (their
 * winner died or could not publish). Keep `olderThanMs` well inside SNS's 5-minute deduplication window
 * minus the schedule period, so a notice the winner did publish is deduplicated, not sent twice.
 */
export async function republishDue(deps: NoticeDeps, olderThanMs: number): Promise<number> {
  if (!deps.sns || !deps.topicArn) return 0;
  const due = await dueNotices(deps.store, olderThanMs);
  let published = 0;
  for (const notice of due) if (await announce(deps, notice)) published += 1;
  return published;
}
