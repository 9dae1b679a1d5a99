import { encodeWorkerEvent, makeTask, taskIdOf } from "@fanout/core";
import { claimTask, releaseClaim } from "@fanout/dedup";
import { createStore } from "@fanout/job-state";

// Stands in for @fanout/invoker's invokeAsync: resolves to the event's request id, or throws an error
// that says whether Lambda may have accepted the event anyway.
async function invokeWorker(body: string): Promise<string> {
  if (body.length > 262_144) throw Object.assign(new Error("payload too large"), { maybeAccepted: false });
  return "event-request-id";
}

const store = createStore({ tableName: "fanout-dedup", ttlSeconds: 1_296_000 });
const owner = "consumer-request-id/9f2c41d0"; // unique per consumer attempt: <request id>/<nonce>
const task = makeTask("job-1", 0, "Name1");
const taskId = taskIdOf(task);

const claim = await claimTask(store, {
  taskId,
  jobId: task.jobId,
  index: task.index,
  owner,
  leaseSeconds: 60,
});
if (claim.outcome === "claimed") {
  try {
    // The claim's token travels in the event: only the event holding it may start the task. Nothing is
    // written after the invoke; delete the message now.
    await invokeWorker(encodeWorkerEvent(task, claim.token));
  } catch (error) {
    // Lambda answered and refused: the redelivered message may claim it at once. An ambiguous
    // failure (the event may have been accepted) keeps the claim until its lease ends.
    if ((error as { maybeAccepted?: boolean }).maybeAccepted === false)
      await releaseClaim(store, taskId, owner);
    throw error;
  }
}
// "duplicate": delete the message; "busy": leave it, it comes back after claim.leaseUntil
