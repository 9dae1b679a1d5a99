/**
 * Call sites that may go without a fault, and condition clauses that may be taken only one way, in the
 * explorer's CI budget, each with the reason it cannot be otherwise. Anything else missing fails the run.
 */
export const coverageReasons: { sites: Record<string, string>; clauses: Record<string, string> } = {
  sites: {
    "dedup/enqueue.ts:releaseEnqueueStep dynamodb.UpdateItem":
      "called only from a failing enqueue step's catch, which ignores its error (the lease then lapses within a minute): 24 calls in the budget, and a fault there changes only when the next step may take over",
  },
  clauses: {
    "dedup/enqueue.ts:renewEnqueueStep dynamodb.UpdateItem":
      "refused only when another step took the job's enqueue lease over while this one still had chunks out: its lease had to lapse under a delay (50 ms leases in a quarter of the schedules) and a duplicate or retried step to take it in that gap; reachable but not met in the 500-schedule budget. source-submit.test.ts, 'stops a step whose lease another step took over while its chunks were out', refuses it on the emulators",
    "dedup/enqueue.ts:confirmHandover dynamodb.UpdateItem":
      "refused only if a hand-over were confirmed twice at the same point; steps hold the enqueue lease one at a time and a retried step reads the confirmed point before it hands over, so the refusal guards against a race the protocol excludes",
    "dedup/expiry.ts:expireCounters dynamodb.UpdateItem":
      "refused only if the job record were replaced by a new incarnation between the finish and the stamping; a record does not expire before its finish + ttl_seconds, so no new incarnation can exist then",
    "dedup/expiry.ts:stamp dynamodb.UpdateItem":
      "refused only for a counter item that was never written; every item of a job's layout holds a final task before the job finishes, so the condition guards against creating items, not against a race",
  },
};
