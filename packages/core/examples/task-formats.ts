import {
  encodeTask,
  type JobRunOptions,
  makePayloadTask,
  type NameTask,
  type PayloadTask,
  parseJob,
  payloadOf,
  type Task,
  taskCountOf,
  taskOf,
} from "@fanout/core";

// The tasks format: any JSON values, with the job's options beside them.
const job = parseJob({
  jobId: "thumbnails-1",
  tasks: [{ url: "https://example.com/a.png" }, { url: "https://example.com/b.png" }],
  maxConcurrency: 5,
  toleratedFailureCount: 1,
});
const options: JobRunOptions = job.options; // { maxConcurrency: 5, toleratedFailureCount: 1 }
taskCountOf(job); // 2

// What main sends for task 1 of the incarnation `epoch` (the job record's createdAt).
const epoch = Date.now();
const task: Task = taskOf(job, 1, epoch); // { v: 2, jobId, epoch, index: 1, payload: { url: ".../b.png" } }
encodeTask(task); // the tasks-queue message body; the worker's event adds the claim's token (encodeWorkerEvent)

// A seed-format task's handler payload is { name }; a tasks-format task's is its value.
function describe(t: Task): string {
  if (t.v === 1) {
    const seed: NameTask = t;
    return `name ${seed.name}`;
  }
  const any: PayloadTask = t;
  return `payload ${JSON.stringify(any.payload)}`;
}
describe(makePayloadTask("thumbnails-1", 0, null, epoch)); // "payload null"
payloadOf(taskOf(parseJob({ names: [{ name: "Name1" }] }), 0, epoch)); // { name: "Name1" }

export { options };
