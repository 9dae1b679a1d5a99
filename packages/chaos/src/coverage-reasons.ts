/**
 * Call sites that may go without a fault, and condition clauses that may be taken only one way, in the
 * explorer's CI budget, each with the reason it cannot be otherwise. Anything else missing fails the run.
 */
export const coverageReasons: { sites: Record<string, string>; clauses: Record<string, string> } = {
  // Met since the fourth round (late writes, early retries): releaseEnqueueStep's faults, and both ways of
  // renewEnqueueStep's and confirmHandover's clauses; their reasons went.
  sites: {},
  clauses: {
    "job-state/expiry.ts:expireCounters dynamodb.UpdateItem":
      "refused only if the job record were replaced by a new incarnation between the finish and the stamping; a record does not expire before its finish + ttl_seconds, so no new incarnation can exist then",
    "job-state/expiry.ts:stamp dynamodb.UpdateItem":
      "refused only for a counter item that was never written; every item of a job's layout holds a final task before the job finishes, so the condition guards against creating items, not against a race",
  },
};
