import { createLogger } from "@fanout/core";
import { createStore, dueNotices, type JobNotice } from "@fanout/job-state";
import { announce, createSnsClient, type NoticeDeps, publishNotice, republishDue } from "@fanout/notices";

const deps: NoticeDeps = {
  store: createStore({ tableName: "fanout-dedup", ttlSeconds: 1_296_000 }),
  sns: createSnsClient(),
  topicArn: "arn:aws:sns:us-east-1:123456789012:fanout-jobs.fifo",
  logger: createLogger("worker"),
};

// The write that finished a job returned its notice (finishRun, closeTask, resettle): publish it and take it
// out of the outbox. Never throws: on a failure the notice stays due for the consumer's sweep.
export async function onFinished(notice: JobNotice | undefined): Promise<void> {
  if (notice) await announce(deps, notice);
}

// The consumer's sweep, once per run: notices still due 30 s after their job finished.
const republished = await republishDue(deps, 30_000);

// publishNotice alone, e.g. to resend by hand what the outbox holds: the deduplication id is
// <jobId>#<epoch>, so SNS drops it if the same notice was published in the last 5 minutes.
for (const notice of await dueNotices(deps.store, 0, 10)) {
  if (deps.sns && deps.topicArn) await publishNotice(deps.sns, deps.topicArn, notice);
}

export { republished };
