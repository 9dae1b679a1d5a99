import { describe, expect, it } from "vitest";
import { decideForState, decideRedrive } from "./failed-redrive.ts";

const now = 1_000_000;

describe("decideForState (a record whose task could not be requeued from FAILED)", () => {
  it("resends a task left REQUEUED by a redrive that stopped before sending, so it is not lost", () => {
    expect(decideForState({ status: "REQUEUED" }, now).action).toBe("send");
  });

  it("resends a task whose record expired, since the consumer will claim it afresh", () => {
    expect(decideForState(undefined, now).action).toBe("send");
  });

  it("skips (and drops the record of) a task that succeeded since, or was dispatched again after this event", () => {
    // A DISPATCHED task whose latest dispatch is this very event was requeued before this decision.
    for (const status of ["SUCCEEDED", "DISPATCHED"]) {
      expect(decideForState({ status }, now).action).toBe("skip");
    }
  });

  it("skips (and drops the record of) a task closed CANCELLED because its job was cancelled", () => {
    expect(decideForState({ status: "CANCELLED" }, now)).toEqual({
      action: "skip",
      reason: "CANCELLED: its job was cancelled",
    });
  });

  it("keeps the record of a task CLAIMED under a live lease: that consumer may die before dispatching", () => {
    expect(decideForState({ status: "CLAIMED" }, now).action).toBe("error");
  });

  it("keeps the record of a task RUNNING under a live lease, whose worker may have died", () => {
    expect(decideForState({ status: "RUNNING", leaseUntil: now + 1 }, now)).toMatchObject({
      action: "error",
      reason: expect.stringMatching(/lease until .*record kept/),
    });
    expect(decideForState({ status: "RUNNING", leaseUntil: now - 1 }, now).action).toBe("error");
  });

  it("keeps the record when the task turned FAILED again between the requeue attempt and the read", () => {
    expect(decideForState({ status: "FAILED" }, now).action).toBe("error");
  });
});

describe("decideRedrive (the dry run's decision, the real run's rule)", () => {
  const task = { epoch: 7 };
  const req1 = { requestId: "req-1" };
  it("sends a CLAIMED task whose latest claim is the failed event's, and keeps one claimed for another", () => {
    const failed = { requestId: "req-1", token: "tok-aaaaaaaaaaaa" };
    expect(decideRedrive({ status: "CLAIMED", epoch: 7, token: failed.token }, task, failed, now)).toEqual({
      action: "send",
      reason: "CLAIMED for this event, which never ran → REQUEUED",
    });
    const other = { status: "CLAIMED", epoch: 7, token: "tok-bbbbbbbbbbbb", leaseUntil: now + 60_000 };
    expect(decideRedrive(other, task, failed, now).action).toBe("error");
  });

  it("sends a DISPATCHED task (v0.1.0) whose latest dispatch is the failed event, or whose record names none", () => {
    expect(decideRedrive({ status: "DISPATCHED", epoch: 7, dispatchId: "req-1" }, task, req1, now)).toEqual({
      action: "send",
      reason: "DISPATCHED by this event (v0.1.0), which never ran → REQUEUED",
    });
    expect(decideRedrive({ status: "DISPATCHED", epoch: 7 }, task, req1, now).action).toBe("send");
  });

  it("skips a DISPATCHED task whose record names a later dispatch, and a task of another incarnation as the state table says", () => {
    expect(
      decideRedrive({ status: "DISPATCHED", epoch: 7, dispatchId: "req-2" }, task, req1, now).action,
    ).toBe("skip");
    expect(decideRedrive({ status: "FAILED", epoch: 6 }, task, req1, now).action).toBe("error");
  });
});
