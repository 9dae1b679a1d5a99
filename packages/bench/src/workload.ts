import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { clientOptions, encodeTask, makeTask } from "@fanout/core";
import { queueDepth, sendMessages } from "@fanout/queue";
import { sampleNames } from "@fanout/tooling";

/** Task message bodies of a fresh job (a new jobId, so no task is a duplicate of an earlier run). */
export function taskBodies(jobId: string, count: number): string[] {
  return sampleNames(count).map((name, index) => encodeTask(makeTask(jobId, index, name)));
}

/**
 * Puts `bodies` on the queue with batched sends, through a client that is not counted: filling the
 * queue is set-up, not part of the consumer being measured.
 */
export async function fillQueue(queueUrl: string, bodies: readonly string[]): Promise<void> {
  const sqs = new SQSClient(clientOptions());
  try {
    const { failed } = await sendMessages(
      sqs,
      queueUrl,
      bodies.map((body, i) => ({ id: String(i), body })),
      { concurrency: 32 },
    );
    if (failed.length > 0) throw new Error(`could not fill the queue: ${failed.length} sends failed`);
  } finally {
    sqs.destroy();
  }
}

/** Visible plus in-flight messages. */
export async function queuedMessages(queueUrl: string): Promise<number> {
  const sqs = new SQSClient(clientOptions());
  try {
    const depth = await queueDepth(sqs, queueUrl);
    return depth.visible + depth.inFlight;
  } finally {
    sqs.destroy();
  }
}

/**
 * The seed's worker.py as a function bundle: prints the name and returns. Used as the worker in
 * throughput runs, so that the consumers (not worker runs) are what is measured, equally for both.
 */
export function writeSeedWorker(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "index.mjs"),
    `export const handler = async (event) => {\n  console.log("worker received name = " + event.name);\n  return "worker success.";\n};\n`,
  );
  return dir;
}
