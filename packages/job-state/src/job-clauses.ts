/**
 * The named clauses of every job-level conditional write: the job record, its enqueue steps, its progress and
 * group items, its counter items' expiry, its concurrency slots and the consumer's run slots. Each write's
 * condition is built from these (and the README's "Job transitions" table quotes them by name; the repo check
 * in `npm test` keeps the two in step). The task's own clauses sit beside its transitions (`claims.ts`,
 * `runs.ts`, `redrive.ts`).
 */

/**
 * A job record that is as good as absent: its job finished and its expiry passed (TTL deletion can lag by
 * days). An unfinished job is never gone: its record has no expiry (a record of an earlier release may have
 * one from its submission; ignored while the job runs), however long the job runs.
 */
const goneClause = "attribute_exists(finishedAt) AND expiresAt < :nowSec";

/** The clauses of the job record's conditional writes (the job's transitions: README, "Job transitions"). */
export const jobClauses = {
  /** No record of the jobId: the first submission creates it. */
  fresh: "attribute_not_exists(pk)",
  /** Finished and past its expiry (TTL deletes lazily): as good as absent; a resubmission runs afresh. */
  gone: `(${goneClause})`,
  /** The record exists (a cancel of an unknown jobId writes nothing). */
  exists: "attribute_exists(pk)",
  /** The incarnation the caller acts for: a reused jobId's newer record is never touched. */
  incarnation: "epoch = :ep",
  /** Neither cancelled (or stopped by its failure threshold) nor finished: it can still be stopped. */
  open: "attribute_not_exists(cancelledAt) AND attribute_not_exists(finishedAt)",
  /** Not finished: only the first settling write that finds it done finishes it (and writes its notice). */
  unfinished: "attribute_not_exists(finishedAt)",
  /** Not cancelled (nor stopped by its threshold): a finish that read no cancel is refused if one came since. */
  uncancelled: "attribute_not_exists(cancelledAt)",
  /** Its notice is in the outbox, not yet marked published. */
  noticeDue: "attribute_exists(notifyDue)",
} as const;

/** The clauses of a source job's enqueue steps (ADR 0013), on the job record. */
export const enqueueClauses = {
  /** The job's enqueue progress is where the step starts from (a step behind it is stale). */
  at: "enqueuedTo = :from",
  /** No step holds the job: none ever did, or its lease ended. */
  free: "(attribute_not_exists(enqueueLeaseUntil) OR enqueueLeaseUntil < :now)",
  /** This step holds the job's enqueue lease. */
  held: "enqueueOwner = :me",
  /** Every task was sent: a resubmission may send them all again. */
  inFull: "enqueuedTo = #total",
  /** No hand-over this far was recorded yet. */
  handoverAhead: "(attribute_not_exists(handedOverTo) OR handedOverTo < :to)",
} as const;

/** The clause of the versioned writes of a job's progress and group items (last writer by version wins). */
export const progressClauses = {
  /** No version yet, or an older one: a write computed from older counts never overwrites a newer one. */
  newer: "attribute_not_exists(#v) OR #v < :v",
} as const;

/** The clause of the expiry stamp on a finished job's counter items. */
export const counterClauses = {
  /** The item exists: a stamp never creates an empty counter. */
  exists: "attribute_exists(pk)",
} as const;

/** The clauses of a capped job's concurrency slots (held per task id). */
export const slotClauses = {
  /** Nobody holds the slot, or its holder's lease ended. */
  free: "(attribute_not_exists(holder) OR #u < :now)",
  /** This task holds the slot. */
  mine: "holder = :me",
} as const;

/** The clauses of the consumer's run slots (scale-out, ADR 0006). */
export const runSlotClauses = {
  /** Nobody holds the run slot, or its lease ended. */
  free: "(attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
  /** This run holds it. */
  mine: "#owner = :me",
} as const;
