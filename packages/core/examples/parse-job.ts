import { consumerConfigSchema, InvalidJobError, parseJob, readConfig, taskIdOf } from "@fanout/core";

// At cold start; a bad environment fails here with every bad variable named.
export const config = readConfig(consumerConfigSchema);

try {
  parseJob('{"names":[{"name":"Name1"},{"name":""}]}');
} catch (error) {
  if (error instanceof InvalidJobError) {
    console.log(error.issues); // [{ index: 1, path: "names[1].name", reason: "name must not be empty" }]
  }
}

const job = parseJob({ names: [{ name: "Name1" }, { name: "Name2" }] });
taskIdOf({ jobId: job.jobId, index: 1 }); // "j-<24 hex>#1"
