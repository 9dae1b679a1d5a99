/**
 * A third correction to fauxqs 2.4.1 (see fauxqs-internals.ts for the other two): long polls.
 *
 * When a message arrives, fauxqs wakes EVERY waiting ReceiveMessage long poll on the queue
 * (`notifyWaiters`); the first takes the message and the others return empty at once, well before their
 * WaitTimeSeconds (seen: 4 pollers, 1 message, 3 empty answers after ~0.3 s). On SQS a long poll returns
 * empty only once its whole wait has passed. fanout's consumer ends a poller on an empty full-length wait,
 * so locally pollers dropped out early.
 *
 * fauxqs' receive action does `dequeue(...)`; if empty, `await waitForMessages(wait)`; then `dequeue(...)`
 * again, and answers with whatever that gave. We patch the queue class so that a woken waiter takes its
 * messages itself, at once (the same `dequeue` call with the request's own arguments, remembered from the
 * first `dequeue` made synchronously just before the wait), and waits again for the rest of its time when
 * another poller got there first. The action's second `dequeue` then returns what the waiter took. Closing
 * the server or deleting the queue (`cancelWaiters`) still ends every wait at once.
 */
type DequeueArgs = [maxCount: number, visibilityTimeoutOverride: unknown, dlqResolver: unknown];

interface QueueLike {
  dequeue(...args: DequeueArgs): unknown[];
  waitForMessages(waitTimeSeconds: number): Promise<void>;
  cancelWaiters(): void;
}

const lastArgs = Symbol("fanout.lastDequeueArgs");
const taken = Symbol("fanout.takenByWaiter");
const cancellations = Symbol("fanout.cancellations");

type Patched = QueueLike & {
  [lastArgs]?: DequeueArgs;
  [taken]?: Map<unknown, unknown[]>;
  [cancellations]?: number;
};

const patched = new WeakSet<object>();

/** Patches fauxqs' `SqsQueue` class (once) so an empty long poll waits its whole WaitTimeSeconds. */
export function waitFullLongPolls(queueClass: { prototype: object }): void {
  const proto = queueClass.prototype as Patched;
  if (patched.has(proto)) return;
  const { dequeue, waitForMessages, cancelWaiters } = proto;
  if (
    typeof dequeue !== "function" ||
    typeof waitForMessages !== "function" ||
    typeof cancelWaiters !== "function"
  ) {
    throw new Error(
      "fauxqs' SqsQueue no longer has dequeue/waitForMessages/cancelWaiters: review fauxqs-long-poll.ts",
    );
  }
  patched.add(proto);

  proto.dequeue = function (this: Patched, ...args: DequeueArgs) {
    // The request's dlqResolver is a closure made per ReceiveMessage call: it identifies the request.
    const mine = this[taken]?.get(args[2]);
    if (mine !== undefined) {
      this[taken]?.delete(args[2]);
      return mine;
    }
    this[lastArgs] = args;
    return dequeue.apply(this, args);
  };

  proto.waitForMessages = async function (this: Patched, waitTimeSeconds: number) {
    const args = this[lastArgs];
    const cancelledAtStart = this[cancellations] ?? 0;
    const deadline = performance.now() + waitTimeSeconds * 1000;
    for (;;) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) return;
      await waitForMessages.call(this, remainingMs / 1000);
      if ((this[cancellations] ?? 0) !== cancelledAtStart || args === undefined) return;
      if (deadline - performance.now() <= 0) return; // the action's own dequeue takes a last look
      const messages = dequeue.apply(this, args);
      if (messages.length > 0) {
        const byRequest = this[taken] ?? new Map<unknown, unknown[]>();
        this[taken] = byRequest;
        byRequest.set(args[2], messages);
        return;
      }
      // Another poller took what woke us: keep waiting for the rest of WaitTimeSeconds, as SQS does.
    }
  };

  proto.cancelWaiters = function (this: Patched) {
    this[cancellations] = (this[cancellations] ?? 0) + 1;
    cancelWaiters.call(this);
  };
}
